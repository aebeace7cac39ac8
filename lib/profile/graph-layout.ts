// Where each box of a layer graph goes: a layered drawing in the manner of Sugiyama et al. (1981),
// as dagre and Netron draw networks. Rows by depth (the longest path from an input), so data
// flows down; an edge that skips rows (a residual connection, a short branch of an inception
// module) gets a thin waypoint in each row it crosses, so it is routed beside the boxes, never
// through them. Row by row, from the top, each item is placed under the mean of its parents and
// pushed right of its left neighbour; the row then moves back by the width-weighted mean
// displacement, so main paths stay straight and skip edges move aside.

/** A box to place: its id, the ids it reads from (ids not in the list are ignored), its width. */
export interface LayoutNode {
  readonly id: string;
  readonly inputs: readonly string[];
  readonly width: number;
}

/** Sizes of a layout. */
export interface LayoutOptions {
  readonly boxHeight: number;
  readonly gapX: number;
  readonly gapY: number;
  /** Width a skipping edge takes in each row it crosses. Default 16. */
  readonly laneWidth?: number;
}

/** A placed graph: box top-left corners, each edge as the points it passes, and the extent. */
export interface Layout {
  readonly boxes: Map<string, { readonly x: number; readonly y: number; readonly row: number }>;
  /** Per edge: from and to ids, and the waypoints' centres between them (empty for adjacent rows). */
  readonly edges: { readonly from: string; readonly to: string; readonly via: { x: number; y: number }[] }[];
  readonly width: number;
  readonly height: number;
}

interface Item {
  readonly id: string;
  readonly width: number;
  readonly parents: Item[];
  readonly order: number;
  readonly row: number;
  x: number;
}

/**
 * Places `nodes` (given in a topological order: inputs before their readers) top-left at (0, 0).
 * @example layoutGraph([{id: 'a', inputs: [], width: 100}, {id: 'b', inputs: ['a'], width: 100}], {boxHeight: 40, gapX: 20, gapY: 20}).boxes.get('b') // {x: 0, y: 60, row: 1}
 */
export function layoutGraph(nodes: readonly LayoutNode[], o: LayoutOptions): Layout {
  const lane = o.laneWidth ?? 16;
  if (!nodes.length) return { boxes: new Map(), edges: [], width: 0, height: 0 };
  const index = new Map(nodes.map((n, i) => [n.id, i]));
  const depth = new Map<string, number>();
  const parentsOf = (n: LayoutNode) => [...new Set(n.inputs.filter((i) => index.has(i) && i !== n.id))];
  for (const n of nodes) {
    // A reader listed before its input (not topological) is drawn below it anyway.
    const d = parentsOf(n).map((p) => depth.get(p) ?? -1);
    depth.set(n.id, d.length ? Math.max(...d) + 1 : 0);
  }
  const rows: Item[][] = [];
  const items = new Map<string, Item>();
  const at = (row: number) => (rows[row] ??= []);
  const chains: { from: string; to: string; via: Item[] }[] = [];
  nodes.forEach((n, i) => {
    const row = depth.get(n.id) as number;
    const parents: Item[] = [];
    for (const p of parentsOf(n)) {
      let prev = items.get(p) as Item | undefined;
      if (!prev) continue;
      const via: Item[] = [];
      for (let r = (depth.get(p) as number) + 1; r < row; r++) {
        const dummy: Item = { id: `${p}->${n.id}@${r}`, width: lane, parents: [prev], order: i - 0.5, row: r, x: 0 };
        at(r).push(dummy);
        via.push(dummy);
        prev = dummy;
      }
      parents.push(prev);
      chains.push({ from: p, to: n.id, via });
    }
    const item: Item = { id: n.id, width: n.width, parents, order: i, row, x: 0 };
    items.set(n.id, item);
    at(row).push(item);
  });
  for (const row of rows) {
    if (!row) continue;
    const want = new Map(
      row.map((it, k) => [
        it,
        it.parents.length ? it.parents.reduce((a, p) => a + p.x, 0) / it.parents.length : k * (it.width + o.gapX),
      ]),
    );
    row.sort((a, b) => (want.get(a) as number) - (want.get(b) as number) || a.order - b.order);
    let right = -Infinity;
    for (const it of row) {
      it.x = Math.max(want.get(it) as number, right + o.gapX + it.width / 2);
      right = it.x + it.width / 2;
    }
    const weight = row.reduce((a, it) => a + it.width, 0);
    const shift = row.reduce((a, it) => a + it.width * (it.x - (want.get(it) as number)), 0) / weight;
    for (const it of row) it.x -= shift;
  }
  const all = rows.flat();
  const left = Math.min(...all.map((it) => it.x - it.width / 2));
  const width = Math.max(...all.map((it) => it.x + it.width / 2)) - left;
  const y = (row: number) => row * (o.boxHeight + o.gapY);
  const boxes = new Map<string, { x: number; y: number; row: number }>();
  for (const n of nodes) {
    const it = items.get(n.id) as Item;
    const row = depth.get(n.id) as number;
    boxes.set(n.id, { x: it.x - n.width / 2 - left, y: y(row), row });
  }
  return {
    boxes,
    edges: chains.map((c) => ({
      from: c.from,
      to: c.to,
      via: c.via.map((d) => ({ x: d.x - left, y: y(d.row) + o.boxHeight / 2 })),
    })),
    width,
    height: rows.length ? y(rows.length - 1) + o.boxHeight : 0,
  };
}
