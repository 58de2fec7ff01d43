package dev.sluice.inference;

/** 8-bit RGB pixels, interleaved, row-major. */
public record RgbImage(int width, int height, byte[] rgb) {
}
