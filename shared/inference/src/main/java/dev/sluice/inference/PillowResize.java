package dev.sluice.inference;

/**
 * Bilinear, antialiased resampling that reproduces Pillow's {@code Image.resize(size, BILINEAR)} bit for bit
 * (libImaging/Resample.c: separable passes, horizontal first, 22-bit fixed-point coefficients, 8-bit intermediate
 * rounding). The INT8 classifier is sensitive to the last bit of its input, so a float resize is not good enough.
 *
 * <p>Only the pixels of the requested output window are computed: resize-then-crop costs the crop, not the resize.
 */
public final class PillowResize {
    private static final int PRECISION_BITS = 32 - 8 - 2;

    private PillowResize() {
    }

    /** Coefficients of one axis: for output position i, input run [start[i], start[i]+length[i]) with weights. */
    record Axis(int[] start, int[] length, int[] weights, int ksize) {
    }

    static Axis coefficients(int inSize, int outSize) {
        double scale = (double) inSize / outSize;
        double filterScale = Math.max(scale, 1.0);
        double support = filterScale; // bilinear support 1.0
        int ksize = (int) Math.ceil(support) * 2 + 1;
        int[] start = new int[outSize];
        int[] length = new int[outSize];
        int[] weights = new int[outSize * ksize];
        double[] k = new double[ksize];
        for (int xx = 0; xx < outSize; xx++) {
            double center = (xx + 0.5) * scale;
            double ss = 1.0 / filterScale;
            int xmin = (int) (center - support + 0.5);
            if (xmin < 0) {
                xmin = 0;
            }
            int xmax = (int) (center + support + 0.5);
            if (xmax > inSize) {
                xmax = inSize;
            }
            xmax -= xmin;
            double ww = 0;
            for (int x = 0; x < xmax; x++) {
                double w = bilinear((x + xmin - center + 0.5) * ss);
                k[x] = w;
                ww += w;
            }
            for (int x = 0; x < xmax; x++) {
                double v = ww != 0 ? k[x] / ww : k[x];
                weights[xx * ksize + x] = v < 0 ? (int) (-0.5 + v * (1 << PRECISION_BITS))
                        : (int) (0.5 + v * (1 << PRECISION_BITS));
            }
            start[xx] = xmin;
            length[xx] = xmax;
        }
        return new Axis(start, length, weights, ksize);
    }

    private static double bilinear(double x) {
        x = Math.abs(x);
        return x < 1.0 ? 1.0 - x : 0.0;
    }

    private static int clip8(int v) {
        int s = v >> PRECISION_BITS;
        return s < 0 ? 0 : Math.min(s, 255);
    }

    /**
     * Resizes to outW x outH and returns the window [cropX, cropX+cropW) x [cropY, cropY+cropH) of the result as
     * interleaved RGB.
     */
    public static byte[] resizeCrop(RgbImage in, int outW, int outH, int cropX, int cropY, int cropW, int cropH) {
        int inW = in.width();
        int inH = in.height();
        byte[] src = in.rgb();
        Axis horiz = coefficients(inW, outW);
        Axis vert = coefficients(inH, outH);
        boolean needH = outW != inW;
        boolean needV = outH != inH;
        int rowFirst = needV ? vert.start[cropY] : cropY;
        int rowLast = needV ? vert.start[cropY + cropH - 1] + vert.length[cropY + cropH - 1] : cropY + cropH;
        int rows = rowLast - rowFirst;

        // Horizontal pass over the source rows the vertical pass will read, for the crop's columns only.
        byte[] temp = new byte[rows * cropW * 3];
        for (int y = 0; y < rows; y++) {
            int srcRow = (rowFirst + y) * inW * 3;
            int dstRow = y * cropW * 3;
            for (int cx = 0; cx < cropW; cx++) {
                int xx = cropX + cx;
                if (!needH) {
                    int s = srcRow + xx * 3;
                    temp[dstRow + cx * 3] = src[s];
                    temp[dstRow + cx * 3 + 1] = src[s + 1];
                    temp[dstRow + cx * 3 + 2] = src[s + 2];
                    continue;
                }
                int xmin = horiz.start[xx];
                int n = horiz.length[xx];
                int kOff = xx * horiz.ksize;
                int r = 1 << (PRECISION_BITS - 1);
                int g = r;
                int b = r;
                int s = srcRow + xmin * 3;
                for (int x = 0; x < n; x++, s += 3) {
                    int w = horiz.weights[kOff + x];
                    r += (src[s] & 0xff) * w;
                    g += (src[s + 1] & 0xff) * w;
                    b += (src[s + 2] & 0xff) * w;
                }
                temp[dstRow + cx * 3] = (byte) clip8(r);
                temp[dstRow + cx * 3 + 1] = (byte) clip8(g);
                temp[dstRow + cx * 3 + 2] = (byte) clip8(b);
            }
        }
        if (!needV) {
            return temp;
        }
        byte[] out = new byte[cropW * cropH * 3];
        int stride = cropW * 3;
        for (int cy = 0; cy < cropH; cy++) {
            int yy = cropY + cy;
            int ymin = vert.start[yy] - rowFirst;
            int n = vert.length[yy];
            int kOff = yy * vert.ksize;
            for (int i = 0; i < stride; i++) {
                int acc = 1 << (PRECISION_BITS - 1);
                int s = ymin * stride + i;
                for (int y = 0; y < n; y++, s += stride) {
                    acc += (temp[s] & 0xff) * vert.weights[kOff + y];
                }
                out[cy * stride + i] = (byte) clip8(acc);
            }
        }
        return out;
    }
}
