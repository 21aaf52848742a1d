package org.imgorigin.http;

import java.util.List;
import org.imgorigin.image.ImageFormat;
import org.imgorigin.url.Transformation;

/** A transformation with its auto forms resolved for one request, the output format, and the headers that decided them. */
record Negotiated(Transformation transformation, ImageFormat output, List<String> vary) {
}
