package dev.sluice.core;

import java.util.List;

/** A listing page as the API returns it: {@code {data, nextPage, prevPage}}. */
public record Page<T>(List<T> data, String nextPage, String prevPage) {
}
