package dev.sluice.inference;

/**
 * The EXIF orientation transforms (TIFF/EXIF tag 274): value v says how the stored pixels must be turned to show the
 * picture upright; {@link #apply} does that, as Pillow's {@code ImageOps.exif_transpose}. 1 = as stored, 2 = mirror
 * left-right, 3 = rotate 180, 4 = mirror top-bottom, 5 = transpose (mirror along the main diagonal), 6 = rotate 90
 * clockwise, 7 = transverse (mirror along the other diagonal), 8 = rotate 90 counter-clockwise.
 */
final class Orientation {
    private Orientation() {
    }

    static RgbImage apply(RgbImage in, int orientation) {
        if (orientation <= 1 || orientation > 8) {
            return in;
        }
        int w = in.width();
        int h = in.height();
        boolean swap = orientation >= 5;
        int ow = swap ? h : w;
        int oh = swap ? w : h;
        byte[] src = in.rgb();
        byte[] out = new byte[src.length];
        for (int y = 0; y < oh; y++) {
            for (int x = 0; x < ow; x++) {
                // the stored pixel (sx, sy) that shows at upright (x, y)
                int sx;
                int sy;
                switch (orientation) {
                    case 2 -> { sx = w - 1 - x; sy = y; }
                    case 3 -> { sx = w - 1 - x; sy = h - 1 - y; }
                    case 4 -> { sx = x; sy = h - 1 - y; }
                    case 5 -> { sx = y; sy = x; }
                    case 6 -> { sx = y; sy = h - 1 - x; }
                    case 7 -> { sx = w - 1 - y; sy = h - 1 - x; }
                    default -> { sx = w - 1 - y; sy = x; } // 8
                }
                int s = (sy * w + sx) * 3;
                int o = (y * ow + x) * 3;
                out[o] = src[s];
                out[o + 1] = src[s + 1];
                out[o + 2] = src[s + 2];
            }
        }
        return swap ? new RgbImage(ow, oh, out, in.fullHeight(), in.fullWidth())
                : new RgbImage(ow, oh, out, in.fullWidth(), in.fullHeight());
    }
}
