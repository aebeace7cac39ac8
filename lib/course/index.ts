// The course's reference data: the brief's table (claims), literature citations, the course map.
export { BRIEF_TABLE, LITERATURE, COURSE_MAP, formatClaim, citationsFor } from './brief';
export type { BriefRow, Citation, ClaimRange } from './brief';
