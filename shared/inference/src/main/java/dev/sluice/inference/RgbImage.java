package dev.sluice.inference;

/**
 * 8-bit RGB pixels, interleaved, row-major.
 *
 * @param width      decoded width in pixels
 * @param height     decoded height in pixels
 * @param rgb        {@code width * height * 3} samples
 * @param fullWidth  the width of the picture at full size (its header's, after orientation): larger than
 *                   {@code width} when it was decoded reduced (DCT-scaled or subsampled)
 * @param fullHeight the height at full size, as {@code fullWidth}
 */
public record RgbImage(int width, int height, byte[] rgb, int fullWidth, int fullHeight) {
    /** A picture decoded at full size. */
    public RgbImage(int width, int height, byte[] rgb) {
        this(width, height, rgb, width, height);
    }

    /** The same pixels, said to be a reduced decode of a {@code fullWidth} x {@code fullHeight} picture. */
    RgbImage reducedFrom(int fullWidth, int fullHeight) {
        return new RgbImage(width, height, rgb, fullWidth, fullHeight);
    }

    /** Full-size pixels per decoded pixel, across ({@code fullWidth / width}); 1 when decoded at full size. */
    public double scaleX() {
        return (double) fullWidth / width;
    }

    /** Full-size pixels per decoded pixel, down ({@code fullHeight / height}). */
    public double scaleY() {
        return (double) fullHeight / height;
    }
}
