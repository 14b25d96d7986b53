/** The perspective area warp: homography math, sampling, capture_area.json and its schema. */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import { AreaWarp, type CaptureArea, type RgbaFrame, TestPatternSource } from '@udpcam/sender';
import { Ajv } from 'ajv';
import fc from 'fast-check';
import { apply, invert, multiply, perspectiveTransform } from '#sender/transforms/homography.js';
import { REPO_ROOT } from '../../helpers/fixtures.js';

type Pt = [number, number];
type Quad4 = [Pt, Pt, Pt, Pt];

function rect(width: number, height: number): Quad4 {
  return [
    [0, 0],
    [width, 0],
    [width, height],
    [0, height],
  ];
}

function pixel(data: Uint8Array, width: number, x: number, y: number): [number, number, number, number] {
  const at = (y * width + x) * 4;
  return [data[at]!, data[at + 1]!, data[at + 2]!, data[at + 3]!];
}

function rgbAt(data: Uint8Array, width: number, x: number, y: number): [number, number, number] {
  return pixel(data, width, x, y).slice(0, 3) as [number, number, number];
}

async function patternFrame(width = 640, height = 360): Promise<RgbaFrame> {
  const source = new TestPatternSource({ width, height });
  await source.start();
  const frame = await source.grab();
  await source.stop();
  return frame;
}

function assertCode(fn: () => unknown, code: string): void {
  assert.throws(fn, (error: unknown) => {
    assert.equal((error as { code?: unknown }).code, code, String(error));
    return true;
  });
}

/** A real number in [min, max] with 1e-6 resolution (fc.double clusters near its bounds). */
const real = (min: number, max: number) =>
  fc.integer({ min: 0, max: 1_000_000 }).map((n) => min + ((max - min) * n) / 1_000_000);

/**
 * A strictly convex quad, clockwise on screen: 4 points on an ellipse (axes at most 3:1), each
 * angular gap between 30° and 150°, so no corner is nearly straight and the system stays well
 * conditioned enough for 1e-9 px.
 */
const convexQuad = fc
  .record({
    start: real(0, 2 * Math.PI),
    gaps: fc.tuple(real(30, 150), real(30, 150), real(30, 150)),
    cx: real(300, 1700),
    cy: real(300, 1700),
    rx: real(40, 290),
    ry: real(40, 290),
  })
  .filter(({ gaps, rx, ry }) => {
    if (Math.max(rx, ry) > 3 * Math.min(rx, ry)) return false;
    const last = 360 - gaps[0] - gaps[1] - gaps[2];
    return last >= 30 && last <= 150;
  })
  .map(({ start, gaps, cx, cy, rx, ry }) => {
    const angles = [0, gaps[0], gaps[0] + gaps[1], gaps[0] + gaps[1] + gaps[2]].map(
      (degrees) => start + (degrees * Math.PI) / 180,
    );
    return angles.map((t): Pt => [cx + rx * Math.cos(t), cy + ry * Math.sin(t)]) as Quad4;
  });

describe('perspectiveTransform', () => {
  it('maps the 4 from points onto the 4 to points (random convex quads)', () => {
    fc.assert(
      fc.property(convexQuad, convexQuad, (from, to) => {
        const m = perspectiveTransform(from, to);
        assert.equal(m[8], 1);
        for (let i = 0; i < 4; i++) {
          const [x, y] = apply(m, from[i]![0], from[i]![1]);
          assert.ok(Math.abs(x - to[i]![0]) < 1e-9, `x of point ${i}: ${x} vs ${to[i]![0]}`);
          assert.ok(Math.abs(y - to[i]![1]) < 1e-9, `y of point ${i}: ${y} vs ${to[i]![1]}`);
        }
      }),
      { numRuns: 500, endOnFailure: true },
    );
  });

  it('invert undoes the transform', () => {
    fc.assert(
      fc.property(convexQuad, convexQuad, (from, to) => {
        const m = perspectiveTransform(from, to);
        const back = invert(m);
        const product = multiply(back, m);
        // back · m is a multiple of the identity (two maps composed: 1e-7 px, not 1e-9), checked on
        // the quad and its centre: far outside it a perspective map nears its horizon and rounding grows.
        const centre: Pt = [from.reduce((a, p) => a + p[0], 0) / 4, from.reduce((a, p) => a + p[1], 0) / 4];
        for (const [x, y] of [...from, centre]) {
          const [u, v] = apply(product, x, y);
          assert.ok(Math.abs(u - x) < 1e-7 && Math.abs(v - y) < 1e-7, `(${x}, ${y}) → (${u}, ${v})`);
        }
        for (let i = 0; i < 4; i++) {
          const [x, y] = apply(back, to[i]![0], to[i]![1]);
          assert.ok(Math.abs(x - from[i]![0]) < 1e-7 && Math.abs(y - from[i]![1]) < 1e-7, `point ${i}`);
        }
      }),
      { numRuns: 200, endOnFailure: true },
    );
  });

  it('is the identity for identical quads and a scale for nested rectangles', () => {
    const identity = perspectiveTransform(rect(640, 360), rect(640, 360));
    [1, 0, 0, 0, 1, 0, 0, 0, 1].forEach((value, i) => {
      assert.ok(Math.abs(identity[i]! - value) < 1e-12);
    });
    const zoom = perspectiveTransform(rect(320, 180), rect(640, 360));
    [2, 0, 0, 0, 2, 0, 0, 0, 1].forEach((value, i) => {
      assert.ok(Math.abs(zoom[i]! - value) < 1e-12);
    });
  });

  it('throws UDPCAM_ERR_INVALID_OPTION for degenerate quads', () => {
    const square = rect(100, 100);
    const degenerate: Quad4[] = [
      // Three collinear corners.
      [
        [0, 0],
        [100, 0],
        [200, 0],
        [0, 100],
      ],
      // A repeated corner.
      [
        [0, 0],
        [0, 0],
        [100, 100],
        [0, 100],
      ],
      // Self-intersecting (a bow tie: two corners swapped).
      [
        [0, 0],
        [100, 100],
        [100, 0],
        [0, 100],
      ],
      // Not convex (a dart).
      [
        [0, 0],
        [100, 0],
        [30, 30],
        [0, 100],
      ],
      // All four on a line.
      [
        [0, 0],
        [10, 10],
        [20, 20],
        [30, 30],
      ],
      [
        [0, 0],
        [Number.NaN, 0],
        [100, 100],
        [0, 100],
      ],
    ];
    for (const quad of degenerate) {
      assertCode(() => perspectiveTransform(quad, square), 'UDPCAM_ERR_INVALID_OPTION');
      assertCode(() => perspectiveTransform(square, quad), 'UDPCAM_ERR_INVALID_OPTION');
      assertCode(
        () => new AreaWarp({ selected_rect: quad, visible_rect: rect(64, 36) }),
        'UDPCAM_ERR_INVALID_OPTION',
      );
    }
    assertCode(() => perspectiveTransform(square.slice(0, 3), square), 'UDPCAM_ERR_INVALID_OPTION');
  });
});

describe('AreaWarp', () => {
  it('copies the input unchanged for the identity quad', async () => {
    const random = Buffer.alloc(37 * 23 * 4);
    // Opaque, as every frame a source or decoder gives: the warp does not sample alpha.
    for (let i = 0; i < random.length; i++)
      random[i] = i % 4 === 3 ? 255 : (i * 7919 + (i >> 3) * 104729) % 256;
    const small = new AreaWarp({ selected_rect: rect(37, 23), visible_rect: rect(37, 23) });
    assert.deepEqual(small.warp({ data: random, width: 37, height: 23 }), random);

    const frame = await patternFrame();
    const warp = new AreaWarp({ selected_rect: rect(640, 360), visible_rect: rect(640, 360) }, 640, 360);
    assert.equal(warp.width, 640);
    assert.equal(warp.height, 360);
    assert.ok(warp.warp(frame).equals(frame.data));
  });

  it('zooms the top-left quarter 2x: the white marker lands at 32..80', async () => {
    const frame = await patternFrame();
    const white = new TestPatternSource().layout.whiteMarker;
    assert.deepEqual([white.x, white.y, white.width], [16, 16, 24]);
    const warp = new AreaWarp({ selected_rect: rect(320, 180), visible_rect: rect(640, 360) }, 640, 360);
    const out = warp.warp(frame);
    assert.equal(out.length, 640 * 360 * 4);
    // Output pixel centre c samples source (c / 2 - 0.5): 33..78 fall between white pixels only;
    // 32 and 79 blend in the black border.
    for (const y of [33, 34, 50, 56, 70, 78]) {
      for (const x of [33, 34, 50, 56, 70, 78]) {
        assert.deepEqual(pixel(out, 640, x, y), [255, 255, 255, 255], `(${x}, ${y})`);
      }
    }
    for (const [x, y] of [
      [31, 50],
      [32, 50],
      [79, 50],
      [81, 50],
      [50, 31],
      [50, 32],
      [50, 79],
      [50, 81],
    ] as const) {
      assert.notDeepEqual(rgbAt(out, 640, x, y), [255, 255, 255], `(${x}, ${y})`);
    }
    // Output pixel (2i, 2j) samples source (i - 0.25, j - 0.25): bilinear weights 9/16, 3/16,
    // 3/16 and 1/16 of pixels (i, j), (i-1, j), (i, j-1) and (i-1, j-1).
    for (const [sx, sy] of [
      [100, 120],
      [200, 10],
      [250, 179],
      [181, 77],
    ] as const) {
      const here = pixel(frame.data, 640, sx, sy);
      const left = pixel(frame.data, 640, sx - 1, sy);
      const up = pixel(frame.data, 640, sx, sy - 1);
      const diagonal = pixel(frame.data, 640, sx - 1, sy - 1);
      const warped = pixel(out, 640, 2 * sx, 2 * sy);
      warped.forEach((value, c) => {
        const expected = (9 * here[c]! + 3 * left[c]! + 3 * up[c]! + diagonal[c]!) / 16;
        assert.ok(
          Math.abs(value - expected) <= 0.5 + 1e-9,
          `channel ${c} at ${sx},${sy}: ${value} vs ${expected}`,
        );
      });
    }
  });

  it('puts the markers where the forward homography sends them (perspective and rotated quads)', async () => {
    const frame = await patternFrame();
    const { whiteMarker, redMarker } = new TestPatternSource().layout;
    const markers = { white: whiteMarker, red: redMarker };
    const whiteCentre: Pt = [
      markers.white.x + markers.white.width / 2,
      markers.white.y + markers.white.height / 2,
    ];
    const redCentre: Pt = [markers.red.x + markers.red.width / 2, markers.red.y + markers.red.height / 2];

    // A rectangle 1.2x the frame, rotated 8° about the centre: corners leave the source.
    const angle = (8 * Math.PI) / 180;
    const rotated = rect(640, 360).map(([x, y]): Pt => {
      const dx = (x - 320) * 1.2;
      const dy = (y - 180) * 1.2;
      return [
        320 + dx * Math.cos(angle) - dy * Math.sin(angle),
        180 + dx * Math.sin(angle) + dy * Math.cos(angle),
      ];
    }) as Quad4;
    const quads: { name: string; selected: Quad4; visible: Quad4 }[] = [
      {
        name: 'perspective',
        selected: [
          [10, 5],
          [630, 30],
          [636, 355],
          [4, 330],
        ],
        visible: rect(640, 360),
      },
      {
        name: 'perspective, smaller output',
        selected: [
          [12, 2],
          [612, 40],
          [638, 358],
          [1, 320],
        ],
        visible: rect(480, 320),
      },
      { name: 'rotated', selected: rotated, visible: rect(800, 450) },
    ];
    for (const { name, selected, visible } of quads) {
      const warp = new AreaWarp({ selected_rect: selected, visible_rect: visible });
      const out = warp.warp(frame);
      for (const [centre, colour] of [
        [whiteCentre, [255, 255, 255]],
        [redCentre, [255, 0, 0]],
      ] as const) {
        const [x, y] = warp.outputPoint(centre[0], centre[1]);
        assert.ok(x >= 0 && x < warp.width && y >= 0 && y < warp.height, `${name}: ${x}, ${y} in the output`);
        assert.deepEqual(
          rgbAt(out, warp.width, Math.floor(x), Math.floor(y)),
          colour,
          `${name} at ${x}, ${y}`,
        );
        const [sx, sy] = apply(warp.inverse, x, y);
        assert.ok(Math.abs(sx - centre[0]) < 1e-9 && Math.abs(sy - centre[1]) < 1e-9);
      }
    }
    // Outside the source is opaque black: the rotated quad's corners lie outside the frame.
    const warp = new AreaWarp({ selected_rect: rotated, visible_rect: rect(800, 450) });
    const out = warp.warp(frame);
    assert.deepEqual(pixel(out, 800, 0, 0), [0, 0, 0, 255]);
    assert.deepEqual(pixel(out, 800, 799, 449), [0, 0, 0, 255]);
  });

  it('reuses one output buffer between frames', async () => {
    const frame = await patternFrame();
    const warp = new AreaWarp({ selected_rect: rect(320, 180), visible_rect: rect(160, 90) });
    const first = warp.warp(frame);
    const second = warp.warp(frame);
    assert.equal(first, second);
    assert.equal(first.length, 160 * 90 * 4);
  });

  it('rejects bad visible rects, quads outside the source and short frames', () => {
    const selected = rect(100, 100);
    for (const visible of [
      [
        [1, 0],
        [100, 0],
        [100, 100],
        [1, 100],
      ],
      [
        [0, 0],
        [0, 100],
        [100, 100],
        [100, 0],
      ],
      [
        [0, 0],
        [100.5, 0],
        [100.5, 100],
        [0, 100],
      ],
      [
        [0, 0],
        [100, 0],
        [90, 100],
        [0, 100],
      ],
      rect(0, 0),
    ] as Pt[][]) {
      assertCode(
        () => new AreaWarp({ selected_rect: selected, visible_rect: visible }),
        'UDPCAM_ERR_INVALID_OPTION',
      );
    }
    assertCode(
      () => new AreaWarp({ selected_rect: rect(641, 360), visible_rect: rect(64, 36) }, 640, 360),
      'UDPCAM_ERR_INVALID_OPTION',
    );
    const warp = new AreaWarp({ selected_rect: selected, visible_rect: rect(10, 10) });
    assertCode(
      () => warp.warp({ data: Buffer.alloc(10), width: 100, height: 100 }),
      'UDPCAM_ERR_INVALID_OPTION',
    );
  });
});

describe('capture_area.json', () => {
  const schemaFile = path.join(REPO_ROOT, 'packages/cli/schemas/capture_area.schema.json');
  const schema = JSON.parse(readFileSync(schemaFile, 'utf8')) as object;
  const example = JSON.parse(
    readFileSync(path.join(REPO_ROOT, 'configs/capture_area.example.json'), 'utf8'),
  ) as unknown;

  it('the example matches the schema and builds a 640x360 warp of a 640x360 source', () => {
    const validate = new Ajv({ allErrors: true, strict: true }).compile(schema);
    assert.ok(validate(example), JSON.stringify(validate.errors));
    const warp = new AreaWarp(example as CaptureArea, 640, 360);
    assert.deepEqual([warp.width, warp.height], [640, 360]);
  });

  it('the schema (the one check of shape and limits) rejects bad shapes', () => {
    const validate = new Ajv({ allErrors: true, strict: true }).compile(schema);
    const good = { selected_rect: rect(10, 10), visible_rect: rect(10, 10) };
    const bad: unknown[] = [
      null,
      [],
      { selected_rect: rect(10, 10) },
      { ...good, extra: 1 },
      { ...good, selected_rect: rect(10, 10).slice(0, 3) },
      { ...good, selected_rect: [...rect(10, 10), [5, 5]] },
      { ...good, selected_rect: [[0, 0, 0], ...rect(10, 10).slice(1)] },
      { ...good, selected_rect: [['0', 0], ...rect(10, 10).slice(1)] },
      { ...good, selected_rect: [[-1, 0], ...rect(10, 10).slice(1)] },
      { ...good, visible_rect: rect(16385, 10) },
    ];
    assert.ok(validate(good));
    for (const value of bad) {
      assert.equal(validate(value), false, JSON.stringify(value));
    }
    // Without the schema (a program using the package), the output size still bounds the buffer.
    const huge = { selected_rect: rect(10, 10), visible_rect: rect(16385, 10) };
    assertCode(() => new AreaWarp(huge), 'UDPCAM_ERR_INVALID_OPTION');
  });
});
