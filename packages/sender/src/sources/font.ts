/**
 * A tiny built-in 5x7 bitmap font, so the test pattern needs no font files or canvas library: the
 * glyphs of "FRAME 0123456789" and "HH:MM:SS.mmm", and a hollow box for anything else.
 * Glyphs are drawn as `#` (ink) and `.` (paper), one string per row, top to bottom; they are
 * parsed once into bit masks (bit 4 = leftmost column).
 */

export const GLYPH_WIDTH = 5;
export const GLYPH_HEIGHT = 7;

const GLYPH_ROWS: Readonly<Record<string, readonly string[]>> = {
  '0': ['.###.', '#...#', '#..##', '#.#.#', '##..#', '#...#', '.###.'],
  '1': ['..#..', '.##..', '..#..', '..#..', '..#..', '..#..', '.###.'],
  '2': ['.###.', '#...#', '....#', '...#.', '..#..', '.#...', '#####'],
  '3': ['#####', '...#.', '..#..', '...#.', '....#', '#...#', '.###.'],
  '4': ['...#.', '..##.', '.#.#.', '#..#.', '#####', '...#.', '...#.'],
  '5': ['#####', '#....', '####.', '....#', '....#', '#...#', '.###.'],
  '6': ['..##.', '.#...', '#....', '####.', '#...#', '#...#', '.###.'],
  '7': ['#####', '....#', '...#.', '..#..', '.#...', '.#...', '.#...'],
  '8': ['.###.', '#...#', '#...#', '.###.', '#...#', '#...#', '.###.'],
  '9': ['.###.', '#...#', '#...#', '.####', '....#', '...#.', '.##..'],
  ':': ['.....', '.##..', '.##..', '.....', '.##..', '.##..', '.....'],
  '.': ['.....', '.....', '.....', '.....', '.....', '.##..', '.##..'],
  ' ': ['.....', '.....', '.....', '.....', '.....', '.....', '.....'],
  A: ['.###.', '#...#', '#...#', '#####', '#...#', '#...#', '#...#'],
  E: ['#####', '#....', '#....', '####.', '#....', '#....', '#####'],
  F: ['#####', '#....', '#....', '####.', '#....', '#....', '#....'],
  M: ['#...#', '##.##', '#.#.#', '#.#.#', '#...#', '#...#', '#...#'],
  R: ['####.', '#...#', '#...#', '####.', '#.#..', '#..#.', '#...#'],
};

function parseGlyph(rows: readonly string[]): Uint8Array {
  const mask = new Uint8Array(GLYPH_HEIGHT);
  rows.forEach((row, y) => {
    for (let x = 0; x < GLYPH_WIDTH; x++) if (row[x] === '#') mask[y]! |= 1 << (GLYPH_WIDTH - 1 - x);
  });
  return mask;
}

const GLYPHS = new Map<string, Uint8Array>(
  Object.entries(GLYPH_ROWS).map(([char, rows]) => [char, parseGlyph(rows)]),
);

// A hollow box ("tofu") for characters the font lacks, so a missing glyph is visible, not blank.
const MISSING = parseGlyph(['#####', '#...#', '#...#', '#...#', '#...#', '#...#', '#####']);

/** Row bit masks (7 rows, bit 4 = leftmost pixel) of a character. */
export function glyph(char: string): Uint8Array {
  return GLYPHS.get(char) ?? MISSING;
}

/** Width in pixels of `text` drawn at `scale` with one scaled pixel column between glyphs. */
export function textWidth(text: string, scale: number): number {
  return text.length === 0 ? 0 : (text.length * (GLYPH_WIDTH + 1) - 1) * scale;
}
