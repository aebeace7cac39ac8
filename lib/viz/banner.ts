// The banner at the top of a report: did it pass? Failed checks first, by name and with the
// numbers that failed them, then the passed checks, then warnings (things that did not fail a
// check but that a reader must not miss, such as layers an exporter left in float). The reader
// sees the verdict without scrolling; the details are further down the page.
import { escapeXml } from './svg';

/** One check of a report and its outcome; `text` says what was checked, with the numbers. */
export interface BannerCheck {
  readonly text: string;
  readonly passed: boolean;
}

/** What the banner shows. */
export interface BannerData {
  readonly checks: readonly BannerCheck[];
  readonly warnings: readonly string[];
  /** The headline when there are no checks (default: "No checks were set"). */
  readonly headline?: string;
}

/** Warnings shown before the rest fold into "N more". */
const SHOWN_WARNINGS = 8;

/** 'failed' when a check failed, 'passed' when every check passed, 'unchecked' without checks. */
export function bannerStatus(b: BannerData): 'failed' | 'passed' | 'unchecked' {
  if (b.checks.some((c) => !c.passed)) return 'failed';
  return b.checks.length ? 'passed' : 'unchecked';
}

function list(items: readonly string[], cls: string): string {
  return `<ul class="${cls}">${items.map((t) => `<li>${escapeXml(t)}</li>`).join('')}</ul>`;
}

/**
 * The banner's HTML (classes `tfc-banner tfc-<status>`; failed checks in `ul.tfc-failed-checks`).
 * @example bannerHtml({checks: [{text: 'accuracy drop 3% against at most 1%', passed: false}], warnings: []})
 */
export function bannerHtml(b: BannerData): string {
  const status = bannerStatus(b);
  const failed = b.checks.filter((c) => !c.passed).map((c) => c.text);
  const passed = b.checks.filter((c) => c.passed).map((c) => c.text);
  const headline =
    status === 'failed'
      ? `Failed: ${failed.length} of ${b.checks.length} check${b.checks.length === 1 ? '' : 's'}`
      : status === 'passed'
        ? `Passed: ${passed.length === 1 ? 'the check' : `all ${passed.length} checks`}`
        : (b.headline ?? 'No checks were set');
  const parts = [
    `<p class="tfc-banner-title">${status === 'failed' ? '&#10007;' : status === 'passed' ? '&#10003;' : '&#8226;'} ${escapeXml(headline)}${
      b.warnings.length ? `, ${b.warnings.length} warning${b.warnings.length === 1 ? '' : 's'}` : ''
    }</p>`,
  ];
  if (failed.length) parts.push(list(failed, 'tfc-failed-checks'));
  if (passed.length) parts.push(list(passed, 'tfc-passed-checks'));
  if (b.warnings.length) {
    const shown = b.warnings.slice(0, SHOWN_WARNINGS);
    const rest = b.warnings.slice(SHOWN_WARNINGS);
    parts.push(
      `<div class="tfc-warnings"><p>Warnings</p>${list(shown, 'tfc-warning-list')}${
        rest.length ? `<details><summary>${rest.length} more</summary>${list(rest, 'tfc-warning-list')}</details>` : ''
      }</div>`,
    );
  }
  return `<section class="tfc-banner tfc-${status}" role="${status === 'failed' ? 'alert' : 'status'}" data-status="${status}">${parts.join('')}</section>`;
}

/** The banner's stylesheet (part of the page's). */
export const BANNER_CSS = `.tfc-banner{border-radius:6px;padding:.6em 1em;margin:1em 0 1.5em;border:2px solid}
.tfc-banner ul{margin:.3em 0 .3em 1.2em;padding:0}.tfc-banner-title{font-size:1.15em;font-weight:bold;margin:.2em 0}
.tfc-failed{background:#fdecea;border-color:#c62828}.tfc-failed .tfc-banner-title{color:#b71c1c}
.tfc-passed{background:#e8f5e9;border-color:#2e7d32}.tfc-passed .tfc-banner-title{color:#1b5e20}
.tfc-unchecked{background:#f5f5f5;border-color:#9e9e9e}
.tfc-failed-checks li{font-weight:bold;color:#b71c1c}.tfc-passed-checks li{color:#1b5e20}
.tfc-warnings{background:#fff8e1;border-left:4px solid #f9a825;padding:.2em .8em;margin:.5em 0}
.tfc-warnings>p{font-weight:bold;margin:.3em 0;color:#8d6e00}`;
