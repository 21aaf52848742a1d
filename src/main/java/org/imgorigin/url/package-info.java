/**
 * Image URLs (the README's URL grammar): the {@link org.imgorigin.url.Transformation} value, its parser and
 * printer, named presets, and the path that carries them.
 *
 * <p>{@link org.imgorigin.url.TransformationParser} and {@link org.imgorigin.url.TransformationPrinter}
 * are inverses: the printer writes one canonical string per value, so equivalent URLs are one
 * variant (one cache entry, one ETag), and parsing the canonical string gives the value back.
 * Everything a client can get wrong is a {@link org.imgorigin.url.UrlException} naming the part.
 *
 * <p>Adding a parameter touches one line or method in each layer, and the compiler or a test
 * points at every one of them:
 * <ol>
 *   <li>its value in {@link org.imgorigin.url.Transformation} (a component, and the same
 *       field in its {@code Builder}; request-wide ones also in {@code DELIVERY},
 *       {@code deliverySet}, {@code pixelsOnly} and {@code withDeliveryOf});</li>
 *   <li>its grammar: one method registered in {@code TransformationParser.PARSERS} under its
 *       name, and, if it only makes sense with others, a rule in {@code checkCombination};</li>
 *   <li>its canonical spelling: one line in {@link org.imgorigin.url.TransformationPrinter},
 *       in alphabetical order;</li>
 *   <li>its meaning: one step of {@code org.imgorigin.render} ({@code Geometry} for sizes,
 *       {@code EffectsStep}, {@code ShapeStep}, ...);</li>
 *   <li>its random values in {@code RoundTripTest}, which checks that parse and print are
 *       inverses over any mix of parameters.</li>
 * </ol>
 * An effect ({@code e_<name>[:n]}) is one constant of {@link org.imgorigin.url.Effect}, which
 * holds its range and default for the parser and printer, and one case of the renderer's
 * exhaustive switch.
 */
package org.imgorigin.url;
