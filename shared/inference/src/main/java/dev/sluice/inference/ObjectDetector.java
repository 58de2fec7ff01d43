package dev.sluice.inference;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * YOLOX-style detection: letterbox preprocessing (scale to fit, top-left on a canvas of 114, BGR, raw 0..255, NCHW),
 * grid decoding of the [N, anchors, 5 + classes] output over strides 8/16/32, score = objectness x best class,
 * class-wise non-maximum suppression, boxes in the pixels of the full-size upright picture: a picture decoded reduced
 * (a JPEG DCT-scaled by 1/2, 1/4 or 1/8 by decode "fast" or above the full-decode limit, or an image subsampled) is
 * letterboxed from its reduced pixels and its boxes scaled back by {@link RgbImage#scaleX()} and {@link
 * RgbImage#scaleY()}, as a reference that decodes the same reduced picture and maps its boxes to the original.
 */
public final class ObjectDetector {
    static final int[] STRIDES = {8, 16, 32};

    /**
     * How a letterboxed picture's model coordinates map back to the full-size picture: x_full = x_model / ratio *
     * scaleX (and y with scaleY).
     *
     * @param ratio  model pixels per decoded pixel (the letterbox scale)
     * @param scaleX full-size pixels per decoded pixel, across
     * @param scaleY full-size pixels per decoded pixel, down
     */
    public record Letterbox(double ratio, double scaleX, double scaleY) {
    }

    private final int size;
    private final double scoreThreshold;
    private final double nmsIou;

    public ObjectDetector(int size, double scoreThreshold, double nmsIou) {
        this.size = size;
        this.scoreThreshold = scoreThreshold;
        this.nmsIou = nmsIou;
    }

    public int size() {
        return size;
    }

    /** Letterboxes into tensor[offset ..]; returns how its coordinates map back to the full-size picture. */
    public Letterbox preprocess(RgbImage image, float[] tensor, int offset) {
        int w = image.width();
        int h = image.height();
        double r = Math.min((double) size / h, (double) size / w);
        int nw = (int) (w * r);
        int nh = (int) (h * r);
        int plane = size * size;
        java.util.Arrays.fill(tensor, offset, offset + 3 * plane, 114f);
        byte[] rgb = image.rgb();
        // bilinear, half-pixel centres, no antialiasing (as cv2.resize INTER_LINEAR, which YOLOX uses)
        double sx = (double) w / nw;
        double sy = (double) h / nh;
        for (int y = 0; y < nh; y++) {
            double fy = Math.max(0, (y + 0.5) * sy - 0.5);
            int y0 = Math.min((int) fy, h - 1);
            int y1 = Math.min(y0 + 1, h - 1);
            double dy = fy - y0;
            for (int x = 0; x < nw; x++) {
                double fx = Math.max(0, (x + 0.5) * sx - 0.5);
                int x0 = Math.min((int) fx, w - 1);
                int x1 = Math.min(x0 + 1, w - 1);
                double dx = fx - x0;
                for (int c = 0; c < 3; c++) {
                    double v = (1 - dy) * ((1 - dx) * px(rgb, w, x0, y0, c) + dx * px(rgb, w, x1, y0, c))
                            + dy * ((1 - dx) * px(rgb, w, x0, y1, c) + dx * px(rgb, w, x1, y1, c));
                    // BGR planes
                    tensor[offset + (2 - c) * plane + y * size + x] = (float) Math.min(255, Math.max(0, Math.rint(v)));
                }
            }
        }
        return new Letterbox(r, image.scaleX(), image.scaleY());
    }

    private static int px(byte[] rgb, int w, int x, int y, int c) {
        return rgb[(y * w + x) * 3 + c] & 0xff;
    }

    /** Decodes one image's [anchors x (5 + classes)] output. */
    public List<Map<String, Object>> decode(float[][] output, Letterbox letterbox, List<String> labels) {
        double toX = letterbox.scaleX() / letterbox.ratio();
        double toY = letterbox.scaleY() / letterbox.ratio();
        List<double[]> boxes = new ArrayList<>(); // x1, y1, x2, y2, score, class
        int anchor = 0;
        for (int stride : STRIDES) {
            int cells = size / stride;
            for (int gy = 0; gy < cells; gy++) {
                for (int gx = 0; gx < cells; gx++, anchor++) {
                    float[] a = output[anchor];
                    int best = 5;
                    for (int k = 6; k < a.length; k++) {
                        if (a[k] > a[best]) {
                            best = k;
                        }
                    }
                    double score = a[4] * a[best];
                    if (score <= scoreThreshold) {
                        continue;
                    }
                    double cx = (a[0] + gx) * stride;
                    double cy = (a[1] + gy) * stride;
                    double bw = Math.exp(a[2]) * stride;
                    double bh = Math.exp(a[3]) * stride;
                    boxes.add(new double[]{(cx - bw / 2) * toX, (cy - bh / 2) * toY, (cx + bw / 2) * toX,
                            (cy + bh / 2) * toY, score, best - 5});
                }
            }
        }
        boxes.sort(Comparator.comparingDouble((double[] b) -> b[4]).reversed());
        List<double[]> kept = new ArrayList<>();
        for (double[] b : boxes) {
            boolean suppressed = false;
            for (double[] k : kept) {
                if (k[5] == b[5] && iou(k, b) > nmsIou) {
                    suppressed = true;
                    break;
                }
            }
            if (!suppressed) {
                kept.add(b);
            }
        }
        List<Map<String, Object>> objects = new ArrayList<>();
        for (double[] k : kept) {
            int classId = (int) k[5];
            Map<String, Object> o = new LinkedHashMap<>();
            o.put("label", classId < labels.size() ? labels.get(classId) : String.valueOf(classId));
            o.put("classId", classId);
            o.put("score", Math.round(k[4] * 1e4) / 1e4);
            o.put("box", Map.of("x1", round(k[0]), "y1", round(k[1]), "x2", round(k[2]), "y2", round(k[3])));
            objects.add(o);
        }
        return objects;
    }

    private static double round(double v) {
        return Math.round(v * 10) / 10.0;
    }

    private static double iou(double[] a, double[] b) {
        double iw = Math.max(0, Math.min(a[2], b[2]) - Math.max(a[0], b[0]));
        double ih = Math.max(0, Math.min(a[3], b[3]) - Math.max(a[1], b[1]));
        double inter = iw * ih;
        double union = (a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - inter;
        return union <= 0 ? 0 : inter / union;
    }
}
