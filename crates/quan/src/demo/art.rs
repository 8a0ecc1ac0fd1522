//! Pictures for the demo, drawn when it loads: tea drinks in a glass and tea fields at
//! sunrise, each from a palette and a seed, so the waterfall has covers that look like a
//! tea shop's photos without shipping image files. Shapes are signed distances, so
//! edges are smooth without supersampling.

use image::{ImageEncoder, RgbImage};

type Rgb = [f32; 3];

/// What a picture shows.
#[derive(Debug, Clone, Copy)]
pub enum Art {
    Drink(Drink),
    /// Terraced tea hills; `warm` is a sunrise sky, otherwise a misty morning.
    Field {
        warm: bool,
    },
}

/// A drink in a tall glass on a table.
#[derive(Debug, Clone, Copy)]
pub struct Drink {
    pub liquid: [u8; 3],
    /// The layer on top (milk foam, cheese cream, fruit).
    pub top: [u8; 3],
    pub backdrop: ([u8; 3], [u8; 3]),
    pub pearls: bool,
    pub ice: bool,
    pub straw: [u8; 3],
}

pub const OSMANTHUS_OOLONG: Drink = Drink {
    liquid: [196, 128, 48],
    top: [246, 214, 120],
    backdrop: ([250, 236, 210], [226, 190, 150]),
    pearls: false,
    ice: true,
    straw: [120, 70, 40],
};
pub const MATCHA_LATTE: Drink = Drink {
    liquid: [126, 164, 74],
    top: [244, 240, 226],
    backdrop: ([232, 240, 222], [180, 200, 160]),
    pearls: false,
    ice: true,
    straw: [60, 90, 50],
};
pub const BROWN_SUGAR_BOBA: Drink = Drink {
    liquid: [214, 178, 140],
    top: [250, 240, 228],
    backdrop: ([246, 228, 214], [196, 150, 120]),
    pearls: true,
    ice: false,
    straw: [40, 40, 40],
};
pub const TARO_MILK: Drink = Drink {
    liquid: [178, 150, 206],
    top: [236, 226, 246],
    backdrop: ([238, 232, 246], [190, 170, 214]),
    pearls: true,
    ice: true,
    straw: [250, 250, 250],
};
pub const COLD_BREW: Drink = Drink {
    liquid: [120, 62, 30],
    top: [150, 84, 40],
    backdrop: ([214, 226, 236], [120, 150, 176]),
    pearls: false,
    ice: true,
    straw: [230, 60, 50],
};
pub const LYCHEE_JASMINE: Drink = Drink {
    liquid: [240, 196, 200],
    top: [252, 236, 238],
    backdrop: ([252, 244, 236], [236, 200, 200]),
    pearls: false,
    ice: true,
    straw: [90, 160, 120],
};

/// Draws `art` at `w` × `h` and encodes it as a JPEG. `seed` varies the details
/// (ice, pearls, hills) so two pictures of one drink differ.
pub fn jpeg(art: Art, w: u32, h: u32, seed: u32) -> anyhow::Result<Vec<u8>> {
    let img = match art {
        Art::Drink(d) => drink(d, w, h, seed),
        Art::Field { warm } => field(warm, w, h, seed),
    };
    let mut out = Vec::new();
    image::codecs::jpeg::JpegEncoder::new_with_quality(&mut out, 85).write_image(
        img.as_raw(),
        w,
        h,
        image::ExtendedColorType::Rgb8,
    )?;
    Ok(out)
}

fn rgb(c: [u8; 3]) -> Rgb {
    [f32::from(c[0]), f32::from(c[1]), f32::from(c[2])]
}

fn mix(a: Rgb, b: Rgb, t: f32) -> Rgb {
    let t = t.clamp(0.0, 1.0);
    [
        a[0] + (b[0] - a[0]) * t,
        a[1] + (b[1] - a[1]) * t,
        a[2] + (b[2] - a[2]) * t,
    ]
}

fn shade(c: Rgb, k: f32) -> Rgb {
    [c[0] * k, c[1] * k, c[2] * k]
}

/// How much of a pixel a shape covers, from its signed distance in pixels.
fn cover(d: f32) -> f32 {
    (0.5 - d).clamp(0.0, 1.0)
}

fn circle(x: f32, y: f32, cx: f32, cy: f32, r: f32) -> f32 {
    ((x - cx).powi(2) + (y - cy).powi(2)).sqrt() - r
}

/// A small deterministic generator: the same seed draws the same picture.
struct Lcg(u32);

impl Lcg {
    fn next(&mut self) -> f32 {
        self.0 = self.0.wrapping_mul(1_664_525).wrapping_add(1_013_904_223);
        (self.0 >> 8) as f32 / (1u32 << 24) as f32
    }
}

fn put(img: &mut RgbImage, x: u32, y: u32, c: Rgb) {
    // Channels are clamped to 0..=255 first, so the casts cannot wrap.
    img.put_pixel(x, y, image::Rgb(c.map(|v| v.clamp(0.0, 255.0) as u8)));
}

fn drink(d: Drink, w: u32, h: u32, seed: u32) -> RgbImage {
    let (wf, hf) = (w as f32, h as f32);
    let mut rng = Lcg(seed.wrapping_add(7));
    let bokeh: Vec<(f32, f32, f32)> = (0..6)
        .map(|_| {
            (
                rng.next() * wf,
                rng.next() * hf * 0.6,
                wf * (0.08 + rng.next() * 0.12),
            )
        })
        .collect();
    let cx = wf * (0.46 + rng.next() * 0.08);
    let (top, bottom) = (hf * 0.26, hf * 0.86);
    let (top_half, bottom_half) = (wf * 0.25, wf * 0.19);
    let fill = top + (bottom - top) * (0.08 + rng.next() * 0.06);
    let layer = fill + hf * (0.05 + rng.next() * 0.04);
    let pearls: Vec<(f32, f32, f32)> = if d.pearls {
        (0..26)
            .map(|_| {
                let py = bottom - hf * (0.02 + rng.next() * 0.11);
                let half = bottom_half + (top_half - bottom_half) * (bottom - py) / (bottom - top);
                (
                    cx + (rng.next() * 2.0 - 1.0) * (half - wf * 0.04),
                    py,
                    wf * 0.028,
                )
            })
            .collect()
    } else {
        Vec::new()
    };
    let ice: Vec<(f32, f32, f32)> = if d.ice {
        (0..4)
            .map(|_| {
                (
                    cx + (rng.next() * 2.0 - 1.0) * wf * 0.12,
                    layer + hf * (0.04 + rng.next() * 0.22),
                    wf * (0.05 + rng.next() * 0.025),
                )
            })
            .collect()
    } else {
        Vec::new()
    };
    let straw_tilt = 0.18 + rng.next() * 0.12;
    let (b0, b1) = (rgb(d.backdrop.0), rgb(d.backdrop.1));
    let (liquid, top_c, straw) = (rgb(d.liquid), rgb(d.top), rgb(d.straw));
    let table_y = hf * 0.78;
    let wood = [150.0, 108.0, 72.0];
    let mut img = RgbImage::new(w, h);
    for py in 0..h {
        let y = py as f32 + 0.5;
        for px in 0..w {
            let x = px as f32 + 0.5;
            let mut c = mix(b0, b1, y / table_y);
            for (bx, by, br) in &bokeh {
                let a = cover(circle(x, y, *bx, *by, *br) / 12.0) * 0.35;
                c = mix(c, [255.0, 252.0, 245.0], a);
            }
            if y > table_y {
                let grain = ((y * 0.21).sin() * 0.5 + (y * 0.053 + x * 0.004).sin() * 0.5) * 0.06;
                c = shade(wood, 1.0 + grain - (y - table_y) / hf * 0.6);
                let shadow = ((x - cx) / (top_half * 1.5)).powi(2)
                    + ((y - bottom - hf * 0.012) / (hf * 0.03)).powi(2);
                c = shade(c, 1.0 - 0.35 * (1.0 - shadow).clamp(0.0, 1.0));
            }
            // The glass: a trapezoid, wider at the rim.
            let t = ((y - top) / (bottom - top)).clamp(0.0, 1.0);
            let half = top_half + (bottom_half - top_half) * t;
            let glass = ((x - cx).abs() - half).max(top - y).max(y - bottom);
            let inside = cover(glass);
            if inside > 0.0 {
                let mut g = mix(c, [255.0, 255.0, 255.0], 0.18);
                if y > fill {
                    let body = if y < layer {
                        top_c
                    } else {
                        mix(
                            shade(liquid, 1.08),
                            shade(liquid, 0.86),
                            (y - layer) / (bottom - layer),
                        )
                    };
                    g = mix(g, body, cover(fill - y) * 0.94);
                    for (ix, iy, r) in &ice {
                        let d = ((x - ix).abs().max((y - iy).abs()) - r).max(-r);
                        g = mix(g, [250.0, 252.0, 255.0], cover(d) * 0.32);
                    }
                    for (qx, qy, r) in &pearls {
                        let d = circle(x, y, *qx, *qy, *r);
                        if d < 1.0 {
                            let shine = cover(circle(x, y, qx - r * 0.35, qy - r * 0.35, r * 0.3));
                            g = mix(
                                g,
                                mix([46.0, 26.0, 18.0], [140.0, 100.0, 80.0], shine),
                                cover(d),
                            );
                        }
                    }
                }
                // A highlight down the left of the glass, and a darker rim.
                let edge = (half - (x - cx).abs()) / half;
                if (x - cx) < 0.0 && edge > 0.12 && edge < 0.22 {
                    g = mix(g, [255.0, 255.0, 255.0], 0.35);
                }
                g = mix(g, shade(g, 0.8), cover(edge * half - 3.0));
                c = mix(c, g, inside);
            }
            // The straw, leaning right out of the glass.
            let sx = cx + wf * 0.04 + (fill - y) * straw_tilt;
            let sd = ((x - sx).abs() - wf * 0.018)
                .max(hf * 0.1 - y)
                .max(y - bottom + hf * 0.04);
            let behind_liquid = y > fill && inside > 0.5;
            let a = cover(sd) * if behind_liquid { 0.35 } else { 1.0 };
            c = mix(c, straw, a);
            put(&mut img, px, py, c);
        }
    }
    img
}

fn field(warm: bool, w: u32, h: u32, seed: u32) -> RgbImage {
    let (wf, hf) = (w as f32, h as f32);
    let mut rng = Lcg(seed.wrapping_add(11));
    let (sky_top, sky_low) = if warm {
        ([120.0, 150.0, 200.0], [250.0, 196.0, 140.0])
    } else {
        ([170.0, 196.0, 210.0], [232.0, 238.0, 236.0])
    };
    let sun = (
        wf * (0.2 + rng.next() * 0.6),
        hf * (0.22 + rng.next() * 0.1),
    );
    // Four ridges, far to near: base height, two waves, colour.
    let ridges: Vec<(f32, f32, f32, f32, Rgb)> = (0..4)
        .map(|i| {
            let k = i as f32 / 3.0;
            (
                hf * (0.42 + 0.14 * k),
                hf * (0.03 + rng.next() * 0.04),
                0.004 + rng.next() * 0.006,
                rng.next() * 6.0,
                mix([150.0, 178.0, 160.0], [46.0, 112.0, 52.0], k),
            )
        })
        .collect();
    let mut img = RgbImage::new(w, h);
    for py in 0..h {
        let y = py as f32 + 0.5;
        for px in 0..w {
            let x = px as f32 + 0.5;
            let mut c = mix(sky_top, sky_low, y / (hf * 0.55));
            let glow = cover(circle(x, y, sun.0, sun.1, wf * 0.05));
            c = mix(
                c,
                [255.0, 244.0, 214.0],
                glow.max(
                    (1.0 - circle(x, y, sun.0, sun.1, 0.0) / (wf * 0.35))
                        .clamp(0.0, 1.0)
                        .powi(3)
                        * 0.6,
                ),
            );
            for (i, (base, amp, freq, phase, col)) in ridges.iter().enumerate() {
                let ridge =
                    base - amp * (x * freq + phase).sin() - amp * 0.5 * (x * freq * 2.7).cos();
                let a = cover(ridge - y);
                if a > 0.0 {
                    let depth = (y - ridge) / hf;
                    let mut g = shade(*col, 1.0 - depth * 0.5);
                    // Rows of tea bushes on the two nearest ridges follow the slope.
                    if i >= 2 {
                        let row = ((y - ridge * 0.6) * (0.12 + 0.04 * i as f32)
                            + (x * freq).sin() * 3.0)
                            .sin();
                        g = shade(g, 1.0 + row * 0.12);
                    }
                    // Haze: far ridges fade into the sky.
                    g = mix(g, sky_low, 0.35 * (1.0 - i as f32 / 3.0));
                    c = mix(c, g, a);
                }
            }
            put(&mut img, px, py, c);
        }
    }
    img
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pictures_decode_and_differ() -> anyhow::Result<()> {
        let a = jpeg(Art::Drink(BROWN_SUGAR_BOBA), 120, 160, 1)?;
        let b = jpeg(Art::Drink(BROWN_SUGAR_BOBA), 120, 160, 2)?;
        let f = jpeg(Art::Field { warm: true }, 160, 120, 3)?;
        assert_ne!(a, b, "the seed changes the picture");
        for bytes in [&a, &b, &f] {
            let img = image::load_from_memory(bytes)?;
            assert!(img.width() >= 120 && img.height() >= 120);
        }
        // Not a flat fill: the picture has many distinct colours.
        let img = image::load_from_memory(&a)?.to_rgb8();
        let mut seen: Vec<[u8; 3]> = img.pixels().map(|p| p.0).collect();
        seen.sort_unstable();
        seen.dedup();
        assert!(seen.len() > 500, "{} colours", seen.len());
        Ok(())
    }
}
