//! Where each input of a Composite goes on the canvas: a pure function of the
//! input count, the layout and the canvas size, so every arrangement is
//! tested without GStreamer. Tiles are cells; the compositor letterboxes each
//! video inside its cell, keeping its aspect ratio.

use crate::control::recording_params::LayoutKind;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Tile {
    pub x: u32,
    pub y: u32,
    pub width: u32,
    pub height: u32,
    /// Drawing order: higher is on top (picture-in-picture insets over the main video).
    pub zorder: u32,
}

/// I420 needs even offsets and sizes.
fn even(value: u32) -> u32 {
    value & !1
}

fn tile(x: u32, y: u32, width: u32, height: u32, zorder: u32) -> Tile {
    Tile { x: even(x), y: even(y), width: even(width).max(2), height: even(height).max(2), zorder }
}

/// The tiles of `count` inputs, in input order (the first is the main one).
pub fn tiles(count: usize, layout: LayoutKind, width: u32, height: u32) -> Vec<Tile> {
    if count == 0 {
        return Vec::new();
    }
    if count == 1 {
        return vec![tile(0, 0, width, height, 1)];
    }
    match layout {
        LayoutKind::BestFit => grid(count, width, height),
        LayoutKind::PictureInPicture => picture_in_picture(count, width, height),
        LayoutKind::VerticalPresentation => presentation(count, width, height, true),
        LayoutKind::HorizontalPresentation => presentation(count, width, height, false),
    }
}

/// OpenVidu's grid: columns = ⌈√n⌉, rows = ⌈n / columns⌉ (2 → 2×1, 3-4 → 2×2,
/// 5-6 → 3×2, 7-9 → 3×3); a last row with fewer tiles is centred.
fn grid(count: usize, width: u32, height: u32) -> Vec<Tile> {
    let columns = (1..=count).find(|c| c * c >= count).unwrap_or(count);
    let rows = count.div_ceil(columns);
    let (cell_w, cell_h) = (width / columns as u32, height / rows as u32);
    (0..count)
        .map(|index| {
            let (row, column) = (index / columns, index % columns);
            let in_row = if row == rows - 1 { count - row * columns } else { columns };
            let offset = (width - cell_w * in_row as u32) / 2;
            tile(offset + column as u32 * cell_w, row as u32 * cell_h, cell_w, cell_h, 1)
        })
        .collect()
}

/// The first input fills the canvas; the others are quarter-size insets along
/// the bottom edge, from the right corner leftwards.
fn picture_in_picture(count: usize, width: u32, height: u32) -> Vec<Tile> {
    let (inset_w, inset_h) = (width / 4, height / 4);
    let margin = (width.min(height) / 40).max(2);
    let mut tiles = vec![tile(0, 0, width, height, 1)];
    for index in 0..count - 1 {
        let step = (inset_w + margin) * index as u32;
        let x = width.saturating_sub(margin + inset_w + step);
        tiles.push(tile(x, height - margin - inset_h, inset_w, inset_h, 2));
    }
    tiles
}

/// The first input takes three quarters (left for vertical, top for
/// horizontal); the others share the remaining strip.
fn presentation(count: usize, width: u32, height: u32, vertical: bool) -> Vec<Tile> {
    let others = (count - 1) as u32;
    if vertical {
        let main_w = width * 3 / 4;
        let strip_w = width - main_w;
        let each_h = height / others;
        let mut tiles = vec![tile(0, 0, main_w, height, 1)];
        tiles.extend((0..others).map(|i| tile(main_w, i * each_h, strip_w, each_h, 1)));
        tiles
    } else {
        let main_h = height * 3 / 4;
        let strip_h = height - main_h;
        let each_w = width / others;
        let mut tiles = vec![tile(0, 0, width, main_h, 1)];
        tiles.extend((0..others).map(|i| tile(i * each_w, main_h, each_w, strip_h, 1)));
        tiles
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use LayoutKind::*;

    fn rects(tiles: &[Tile]) -> Vec<(u32, u32, u32, u32)> {
        tiles.iter().map(|t| (t.x, t.y, t.width, t.height)).collect()
    }

    #[test]
    fn best_fit_follows_openvidus_grid() {
        assert!(tiles(0, BestFit, 640, 360).is_empty());
        assert_eq!(rects(&tiles(1, BestFit, 640, 360)), vec![(0, 0, 640, 360)]);
        assert_eq!(rects(&tiles(2, BestFit, 640, 360)), vec![(0, 0, 320, 360), (320, 0, 320, 360)]);
        assert_eq!(
            rects(&tiles(3, BestFit, 640, 360)),
            vec![(0, 0, 320, 180), (320, 0, 320, 180), (160, 180, 320, 180)],
            "the lone tile of the last row is centred"
        );
        assert_eq!(rects(&tiles(4, BestFit, 640, 360))[3], (320, 180, 320, 180));
        let six = tiles(6, BestFit, 1280, 720);
        assert_eq!((six[0].width, six[0].height), (426, 360), "3x2");
        let nine = tiles(9, BestFit, 1280, 720);
        assert_eq!((nine[8].x, nine[8].y, nine[8].height), (852, 480, 240), "3x3");
        assert_eq!(tiles(10, BestFit, 1280, 720)[0].width, 320, "4 columns");
    }

    #[test]
    fn every_tile_stays_inside_the_canvas_with_even_geometry() {
        for layout in [BestFit, PictureInPicture, VerticalPresentation, HorizontalPresentation] {
            for count in 1..=12 {
                for t in tiles(count, layout, 854, 480) {
                    assert!(t.x + t.width <= 854 && t.y + t.height <= 480, "{layout:?} {count} {t:?}");
                    assert!(t.x % 2 == 0 && t.y % 2 == 0 && t.width % 2 == 0 && t.height % 2 == 0);
                }
            }
        }
    }

    #[test]
    fn picture_in_picture_puts_insets_over_the_main_video() {
        let pip = tiles(3, PictureInPicture, 640, 360);
        assert_eq!(rects(&pip[..1]), vec![(0, 0, 640, 360)]);
        assert_eq!((pip[1].width, pip[1].height, pip[1].zorder), (160, 90, 2));
        assert!(pip[1].x > pip[2].x, "insets go right to left");
        assert_eq!((pip[1].x, pip[1].y), (470, 260), "in the bottom-right corner, inside a margin");
    }

    #[test]
    fn presentations_give_the_first_input_the_large_area() {
        let vertical = tiles(3, VerticalPresentation, 640, 360);
        assert_eq!(rects(&vertical), vec![(0, 0, 480, 360), (480, 0, 160, 180), (480, 180, 160, 180)]);
        let horizontal = tiles(3, HorizontalPresentation, 640, 360);
        assert_eq!(rects(&horizontal), vec![(0, 0, 640, 270), (0, 270, 320, 90), (320, 270, 320, 90)]);
    }
}
