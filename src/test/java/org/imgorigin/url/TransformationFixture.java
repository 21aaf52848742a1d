package org.imgorigin.url;

import java.util.Optional;
import java.util.OptionalInt;
import org.imgorigin.image.ImageFormat;
import org.imgorigin.url.Transformation.Angle;
import org.imgorigin.url.Transformation.AspectRatio;
import org.imgorigin.url.Transformation.Crop;
import org.imgorigin.url.Transformation.Dpr;
import org.imgorigin.url.Transformation.FormatChoice;
import org.imgorigin.url.Transformation.Gravity;
import org.imgorigin.url.Transformation.Length;
import org.imgorigin.url.Transformation.Quality;
import org.imgorigin.url.Transformation.Rgb;

/** Builds expected transformations in tests without writing all of its components each time. */
final class TransformationFixture {
    Optional<Length> width = Optional.empty();
    Optional<Length> height = Optional.empty();
    Crop crop = Crop.SCALE;
    Gravity gravity = Gravity.CENTER;
    Optional<AspectRatio> aspectRatio = Optional.empty();
    Optional<Quality> quality = Optional.empty();
    Optional<FormatChoice> format = Optional.empty();
    Optional<Dpr> dpr = Optional.empty();
    OptionalInt blur = OptionalInt.empty();
    OptionalInt sharpen = OptionalInt.empty();
    boolean grayscale;
    Optional<Angle> angle = Optional.empty();
    Optional<Rgb> background = Optional.empty();
    boolean progressive;
    boolean attachment;

    static TransformationFixture none() {
        return new TransformationFixture();
    }

    TransformationFixture width(Length l) {
        width = Optional.of(l);
        return this;
    }

    TransformationFixture height(Length l) {
        height = Optional.of(l);
        return this;
    }

    TransformationFixture crop(Crop c) {
        crop = c;
        return this;
    }

    TransformationFixture gravity(Gravity g) {
        gravity = g;
        return this;
    }

    TransformationFixture aspectRatio(double w, double h, boolean colon) {
        aspectRatio = Optional.of(new AspectRatio(w, h, colon));
        return this;
    }

    TransformationFixture quality(Quality q) {
        quality = Optional.of(q);
        return this;
    }

    TransformationFixture format(ImageFormat f) {
        format = Optional.of(new FormatChoice.Fixed(f));
        return this;
    }

    TransformationFixture formatAuto() {
        format = Optional.of(new FormatChoice.Auto());
        return this;
    }

    TransformationFixture dpr(Dpr d) {
        dpr = Optional.of(d);
        return this;
    }

    TransformationFixture blur(int n) {
        blur = OptionalInt.of(n);
        return this;
    }

    TransformationFixture sharpen(int n) {
        sharpen = OptionalInt.of(n);
        return this;
    }

    TransformationFixture grayscale() {
        grayscale = true;
        return this;
    }

    TransformationFixture angle(Angle a) {
        angle = Optional.of(a);
        return this;
    }

    TransformationFixture background(int r, int g, int b) {
        background = Optional.of(new Rgb(r, g, b));
        return this;
    }

    TransformationFixture progressive() {
        progressive = true;
        return this;
    }

    TransformationFixture attachment() {
        attachment = true;
        return this;
    }

    /** Any parameter the fields above do not cover (effects, shapes, pages, chains). */
    final Transformation.Builder more = new Transformation.Builder();

    TransformationFixture effect(Effect effect, int value) {
        more.effect(effect, value);
        return this;
    }

    Transformation build() {
        Transformation.Builder b = more;
        b.width = width;
        b.height = height;
        b.crop = crop;
        b.gravity = gravity;
        b.aspectRatio = aspectRatio;
        b.quality = quality;
        b.format = format;
        b.dpr = dpr;
        blur.ifPresent(n -> b.effect(Effect.BLUR, n));
        sharpen.ifPresent(n -> b.effect(Effect.SHARPEN, n));
        if (grayscale) {
            b.effect(Effect.GRAYSCALE, 0);
        }
        b.angle = angle;
        b.background = background;
        b.progressive = progressive;
        b.attachment = attachment;
        return b.build();
    }
}
