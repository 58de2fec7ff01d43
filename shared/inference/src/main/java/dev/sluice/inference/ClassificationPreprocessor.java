package dev.sluice.inference;

import dev.sluice.core.model.Model;

/**
 * torchvision's standard classification transform: Resize(short side) → CenterCrop → ToTensor → Normalize, written
 * straight into a slot of the batch tensor (NCHW float32).
 */
public final class ClassificationPreprocessor {
    private final int resize;
    private final int crop;
    private final float[] mean = new float[3];
    private final float[] std = new float[3];

    public ClassificationPreprocessor(Model.Preprocess p) {
        Model.Preprocess full = p.withDefaults();
        this.resize = full.resizeShortSide();
        this.crop = full.cropSize();
        for (int c = 0; c < 3; c++) {
            mean[c] = full.mean().get(c).floatValue();
            std[c] = full.std().get(c).floatValue();
        }
    }

    public int cropSize() {
        return crop;
    }

    public int floatsPerItem() {
        return 3 * crop * crop;
    }

    /** Writes the item's 3 x crop x crop floats into {@code tensor} from {@code offset}. */
    public void preprocess(RgbImage image, float[] tensor, int offset) {
        int w = image.width();
        int h = image.height();
        int outW;
        int outH;
        // torchvision Resize(int): the short side becomes `resize`, the long side int(resize * long / short)
        if (w <= h) {
            outW = resize;
            outH = (int) ((long) resize * h / w);
        } else {
            outH = resize;
            outW = (int) ((long) resize * w / h);
        }
        if (w == h) {
            outW = outH = resize;
        }
        // CenterCrop: offsets round-half-even((size - crop) / 2), as Python's round()
        int top = (int) Math.rint((outH - crop) / 2.0);
        int left = (int) Math.rint((outW - crop) / 2.0);
        byte[] rgb = PillowResize.resizeCrop(image, outW, outH, left, top, crop, crop);
        int plane = crop * crop;
        for (int c = 0; c < 3; c++) {
            float m = mean[c];
            float s = std[c];
            int base = offset + c * plane;
            for (int p = 0; p < plane; p++) {
                float x = (rgb[p * 3 + c] & 0xff) / 255f;
                tensor[base + p] = (x - m) / s;
            }
        }
    }
}
