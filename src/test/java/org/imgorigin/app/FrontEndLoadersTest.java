package org.imgorigin.app;

import static org.imgorigin.testing.Commands.run;
import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpServer;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.HttpResponse;
import io.vertx.ext.web.client.WebClient;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.imgorigin.render.SourceInfo;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;

/**
 * URLs that front-end image components generate, from the real libraries installed from npm
 * into a temporary directory and run with plain node, with the host swapped for a test server:
 * each answer has the status, format and pixel size the library's (and Cloudinary's)
 * documentation promises. A real Chromium then loads a page of unpic {@code <img srcset sizes>}
 * tags from another loopback origin at a phone and two desktop viewports. Skipped when
 * node/npm or the npm registry is not available (and the browser part without Chromium).
 *
 * <p>What runs outside its framework, with plain node:
 * <ul>
 * <li>{@code unpic} ({@code transformUrl}) and {@code @unpic/core} ({@code transformProps}, the
 *     srcset/sizes builder behind {@code @unpic/react}, {@code @unpic/astro} and the other
 *     unpic components): plain functions. unpic detects Cloudinary by the host
 *     {@code res.cloudinary.com} only, and its private-CDN pattern wants
 *     {@code https://<host>/image/upload/…} (no cloud name, no port), so a custom host needs
 *     {@code cdn: 'cloudinary'}; checked below.</li>
 * <li>Nuxt Image's Cloudinary provider ({@code @nuxt/image/runtime/providers/cloudinary},
 *     an exported subpath) and its {@code createImage(...).getSizes} (the srcset of
 *     {@code <NuxtImg sizes>}): they import only {@code ufo} and {@code defu}.</li>
 * <li>{@code next-cloudinary}'s {@code getCldImageUrl} (what {@code <CldImage>} calls): the
 *     package requires {@code next} and {@code react} when loaded, which run in node; its
 *     {@code url.secureDistribution}/{@code privateCdn} config swaps the host.</li>
 * <li>Next.js' {@code getImageProps} from {@code next/image} with a custom loader (what
 *     {@code images.loader: 'custom'} + {@code loaderFile} plugs in): the srcset Next builds,
 *     through the exact loader the README shows.</li>
 * <li>Angular's {@code provideCloudinaryLoader} from {@code @angular/common}: the loader
 *     function it provides runs once {@code @angular/compiler} is imported (the partially
 *     compiled library needs the JIT compiler outside an Angular build). The {@code src} and
 *     srcset come from the {@code NgOptimizedImage} directive, whose constructor needs Angular's
 *     injector and renderer; its own {@code getRewrittenSrc}/{@code getFixedSrcset} methods are
 *     called on a stand-in object with the fields they read ({@code ngSrc}, {@code width},
 *     {@code height}, {@code imageLoader}), so the URLs are the directive's.</li>
 * </ul>
 * Not run: Next.js' built-in {@code loader: 'cloudinary'} exists only for
 * {@code next/legacy/image} (the same {@code f_auto,c_limit,w_,q_} parameters as the custom
 * loader below); {@code <CldImage>} and {@code <NuxtImg>} themselves render through React and
 * Vue inside their frameworks; the URLs they emit are the functions above.
 *
 * Also run: {@code @cloudinary/url-gen} with the README's private CDN settings (its
 * transformations are CloudinarySdkTest's).
 *
 * <p>Every expectation is written as Cloudinary documents it. Writing this test found two
 * faults it now guards: {@code a_90} without a resize was a 422 (a rotation read a
 * sequentially decoded image out of order), and unpic's escapes inside values
 * ({@code g_north%5Feast}, {@code b_rgb%3Aff0000}) were a 400.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class FrontEndLoadersTest {
    /** The versions this test was written against; pinned so a new release cannot change the URLs silently. */
    private static final List<String> PACKAGES = List.of("unpic@4.2.2", "@unpic/core@1.0.3", "@nuxt/image@2.1.0",
            "next-cloudinary@6.19.3", "next@16.5.0", "react@19.3.1", "react-dom@19.3.1",
            "@angular/common@22.2.6", "@angular/core@22.2.6", "@angular/compiler@22.2.6", "rxjs@7.8.2",
            "@cloudinary/url-gen@1.22.0");

    /** The host the libraries are configured with, as a site would configure its own; swapped for the test server's. */
    private static final String HOST = "https://images.example.com";

    /** photo.jpg is 1200×675. */
    private static final int SOURCE_WIDTH = 1200;

    /**
     * Next.js' custom loader, exactly as the README shows it (a {@code loaderFile}; Next calls
     * it with {@code src}, {@code width} and {@code quality}).
     */
    static final String NEXT_LOADER = """
            export default function imgoriginLoader({ src, width, quality }) {
              const params = ['f_auto', 'c_limit', `w_${width}`, `q_${quality || 'auto'}`];
              return `https://images.example.com/image/upload/${params.join(',')}/${src.replace(/^\\//, '')}`;
            }
            """;

    private static final String SCRIPT = """
            import {createRequire} from 'node:module';
            import {pathToFileURL} from 'node:url';
            const require = createRequire(import.meta.url);
            const [ID, LOADER] = process.argv.slice(2);
            const HOST = 'https://images.example.com';
            const cases = {}, srcsets = {}, facts = {}, tags = {};
            const attr = v => String(v).replaceAll('&', '&amp;').replaceAll('"', '&quot;');
            const tag = (id, props) => '<img id="' + id + '" ' + Object.entries(props)
                .filter(([, v]) => v !== undefined)
                .map(([k, v]) => k === 'style'
                    ? 'style="' + attr(Object.entries(v).map(([p, x]) => p + ':' + x).join(';')) + '"'
                    : k + '="' + attr(v) + '"').join(' ') + '>';

            // unpic and @unpic/core
            const {transformUrl} = await import('unpic');
            const {transformProps} = require('@unpic/core');
            const upload = `${HOST}/image/upload/${ID}.jpg`;
            facts['unpic detects the custom host'] = transformUrl({url: upload, width: 300}) !== undefined;
            facts['unpic detects res.cloudinary.com'] =
                transformUrl({url: `https://res.cloudinary.com/demo/image/upload/${ID}.jpg`, width: 300}) !== undefined;
            const unpic = (options, operations) =>
                transformUrl({url: upload, cdn: 'cloudinary', ...options}, operations && {cloudinary: operations});
            cases['unpic width'] = unpic({width: 300});
            cases['unpic width and height'] = unpic({width: 400, height: 300});
            cases['unpic webp quality'] = unpic({width: 300, format: 'webp', quality: 70});
            cases['unpic png'] = unpic({width: 300, format: 'png'});
            cases['unpic fill gravity auto'] = unpic({width: 400, height: 400}, {c: 'fill', g: 'auto'});
            cases['unpic fill gravity north_east'] = unpic({width: 400, height: 400}, {c: 'fill', g: 'north_east'});
            cases['unpic fill gravity auto:subject'] = unpic({width: 400, height: 400}, {c: 'fill', g: 'auto:subject'});
            cases['unpic pad black'] = unpic({width: 300, height: 300}, {c: 'pad', b: 'black'});
            cases['unpic pad rgb'] = unpic({width: 300, height: 300}, {c: 'pad', b: 'rgb:ff0000'});
            cases['unpic dpr 2'] = unpic({width: 300}, {dpr: 2});
            cases['unpic grayscale'] = unpic({width: 300}, {e: 'grayscale'});
            cases['unpic crop x y'] = unpic({width: 300, height: 200}, {c: 'crop', x: 100, y: 50});
            cases['unpic res.cloudinary.com with version'] =
                transformUrl({url: `https://res.cloudinary.com/demo/image/upload/v1712345678/${ID}.jpg`, width: 300});
            const constrained = transformProps({src: upload, cdn: 'cloudinary', width: 600, height: 300,
                layout: 'constrained', alt: 'constrained'});
            const fixed = transformProps({src: upload, cdn: 'cloudinary', width: 300, height: 150,
                layout: 'fixed', alt: 'fixed'});
            srcsets['unpic constrained'] = {srcset: constrained.srcset, sizes: constrained.sizes, src: constrained.src};
            srcsets['unpic fixed'] = {srcset: fixed.srcset, sizes: fixed.sizes, src: fixed.src};
            tags['unpic constrained'] = tag('constrained', constrained);
            tags['unpic fixed'] = tag('fixed', fixed);

            // Nuxt Image's Cloudinary provider
            const nuxtProvider = (await import('@nuxt/image/runtime/providers/cloudinary')).default;
            const {createImage} = await import('@nuxt/image/runtime');
            const nuxtOptions = {baseURL: `${HOST}/demo/image/upload/`};
            const nuxt = modifiers => nuxtProvider().getImage(`/${ID}.jpg`, {modifiers, ...nuxtOptions}).url;
            cases['nuxt width'] = nuxt({width: 300});
            cases['nuxt cover'] = nuxt({width: 300, height: 300, fit: 'cover'});
            cases['nuxt fill north east'] = nuxt({width: 300, height: 200, fit: 'fill', gravity: 'northEast'});
            cases['nuxt fill subject'] = nuxt({width: 300, height: 300, fit: 'fill', gravity: 'subject'});
            cases['nuxt contain'] = nuxt({width: 300, height: 300, fit: 'contain'});
            cases['nuxt inside black'] = nuxt({width: 300, height: 300, fit: 'inside', background: 'black'});
            cases['nuxt png'] = nuxt({width: 200, format: 'png'});
            cases['nuxt rotate'] = nuxt({rotate: 90});
            cases['nuxt blur'] = nuxt({width: 300, blur: 300});
            cases['nuxt dpr'] = nuxt({width: 300, dpr: 2});
            cases['nuxt round'] = nuxt({width: 300, roundCorner: 'max'});
            cases['nuxt minCover'] = nuxt({width: 300, height: 300, fit: 'minCover'});
            cases['nuxt minInside'] = nuxt({width: 300, height: 300, fit: 'minInside'});
            // As the module wires it (setup and the provider's options as defaults), recording the width asked for.
            const nuxtAsked = {};
            const recordingProvider = () => ({getImage: (src, options, ctx) => {
                const image = nuxtProvider().getImage(src, options, ctx);
                nuxtAsked[image.url] = options.modifiers.width;
                return image;
            }});
            const $img = createImage({provider: 'cloudinary',
                providers: {cloudinary: {setup: recordingProvider, defaults: nuxtOptions}},
                presets: {}, densities: [1, 2], screens: {sm: 640, md: 768, lg: 1024}, domains: [], alias: {}});
            srcsets['nuxt sizes'] = $img.getSizes(`/${ID}.jpg`, {sizes: 'sm:100vw md:50vw lg:400px', modifiers: {}});
            srcsets['nuxt densities'] = {...$img.getSizes(`/${ID}.jpg`, {modifiers: {width: 300}}), asked: nuxtAsked};

            // next-cloudinary
            const {getCldImageUrl} = require('next-cloudinary');
            const cld = options => getCldImageUrl({src: ID, ...options},
                {cloud: {cloudName: 'demo'}, url: {secureDistribution: 'images.example.com', privateCdn: true}});
            cases['next-cloudinary width'] = cld({width: 300});
            cases['next-cloudinary fill auto'] = cld({width: 400, height: 400, crop: 'fill', gravity: 'auto'});
            cases['next-cloudinary pad black'] = cld({width: 300, height: 200, crop: 'pad', background: 'black'});
            cases['next-cloudinary crop'] = cld({width: 300, height: 200, crop: 'crop'});
            cases['next-cloudinary crop x y'] =
                cld({width: 300, height: 200, crop: {type: 'crop', x: 100, y: 50, source: true}});
            cases['next-cloudinary thumb zoom'] =
                cld({width: 300, height: 300, crop: 'thumb', zoom: '0.5', gravity: 'auto'});
            cases['next-cloudinary version'] = cld({width: 300, version: 1712345678});
            cases['next-cloudinary angle'] = cld({angle: 90});
            cases['next-cloudinary dpr'] = cld({width: 300, dpr: 2});
            cases['next-cloudinary png'] = cld({width: 300, format: 'png', quality: 80});
            cases['next-cloudinary aspect ratio'] = cld({width: 400, aspectRatio: '16:9', crop: 'fill'});
            cases['next-cloudinary auto subject'] =
                cld({width: 300, height: 300, crop: 'fill', gravity: 'auto:subject'});
            cases['next-cloudinary blur grayscale'] = cld({width: 300, blur: 300, grayscale: true});
            cases['next-cloudinary sepia'] = cld({width: 300, sepia: true});
            cases['next-cloudinary pixelate'] = cld({width: 300, pixelate: true});
            cases['next-cloudinary brightness'] = cld({width: 300, brightness: 20});
            cases['next-cloudinary negate'] = cld({width: 300, rawTransformations: ['e_negate']});
            cases['next-cloudinary trim'] = cld({width: 300, trim: true});
            cases['next-cloudinary opacity'] = cld({width: 300, opacity: 50});
            cases['next-cloudinary radius'] = cld({width: 300, radius: 20});
            cases['next-cloudinary border'] = cld({width: 300, border: '5px_solid_black'});
            // A default is an imgorigin id (d_placeholder.jpg names nothing imgorigin can store).
            cases['next-cloudinary default image'] = cld({width: 300, defaultImage: `${ID}.jpg`});
            cases['next-cloudinary c_auto'] = cld({width: 300, height: 300, crop: 'auto'});
            cases['next-cloudinary g_face'] = cld({width: 300, height: 300, crop: 'thumb', gravity: 'face'});

            // next-cloudinary configured through the environment, as the README's .env does
            process.env.NEXT_PUBLIC_CLOUDINARY_CLOUD_NAME = 'demo';
            process.env.NEXT_PUBLIC_CLOUDINARY_SECURE_DISTRIBUTION = 'images.example.com';
            process.env.NEXT_PUBLIC_CLOUDINARY_PRIVATE_CDN = 'true';
            cases['next-cloudinary env config'] = getCldImageUrl({src: ID, width: 300});

            // @cloudinary/url-gen with a private CDN host, as the README configures it
            // (CloudinarySdkTest covers its transformations on res.cloudinary.com).
            const {Cloudinary} = require('@cloudinary/url-gen');
            const {fill} = require('@cloudinary/url-gen/actions/resize');
            const urlGen = new Cloudinary({cloud: {cloudName: 'demo'},
                url: {secure: true, secureDistribution: 'images.example.com', privateCdn: true}});
            cases['url-gen private cdn fill'] = urlGen.image(ID).resize(fill().width(400).height(400)).toURL();

            // Next.js: getImageProps with the README's custom loader, recording the width Next asked for
            const {getImageProps} = require('next/image');
            const nextLoader = (await import(pathToFileURL(LOADER).href)).default;
            const asked = {};
            const recording = params => { const url = nextLoader(params); asked[url] = params.width; return url; };
            const fixedNext = getImageProps({src: `/${ID}.jpg`, width: 400, height: 225, alt: '', loader: recording}).props;
            srcsets['next fixed'] = {srcset: fixedNext.srcSet, src: fixedNext.src, asked: {...asked}};
            for (const k in asked) delete asked[k];
            const fluid = getImageProps({src: `/${ID}.jpg`, width: 1200, height: 675, sizes: '100vw', alt: '',
                loader: recording}).props;
            srcsets['next sizes'] = {srcset: fluid.srcSet, sizes: fluid.sizes, src: fluid.src, asked: {...asked}};

            // Angular's provideCloudinaryLoader
            await import('@angular/compiler');
            const {provideCloudinaryLoader, NgOptimizedImage} = await import('@angular/common');
            const angular = provideCloudinaryLoader(HOST)[0].useValue;
            cases['angular width'] = angular({src: `${ID}.jpg`, width: 300});
            cases['angular placeholder'] = angular({src: `${ID}.jpg`, width: 30, isPlaceholder: true});
            cases['angular transform fill'] =
                angular({src: `${ID}.jpg`, width: 300, loaderParams: {transform: {c: 'fill', g: 'auto', h: 200}}});
            cases['angular rounded'] = angular({src: `${ID}.jpg`, width: 300, loaderParams: {rounded: true}});
            // NgOptimizedImage's own src/srcset methods, on a stand-in for <img ngSrc width="300" height="169">
            // (its constructor needs Angular's injector; these methods read only the fields set here).
            const ngAsked = {};
            const ngImg = Object.assign(Object.create(NgOptimizedImage.prototype), {ngSrc: `${ID}.jpg`, width: 300,
                height: 169, imageLoader: c => { const url = angular(c); ngAsked[url] = c.width; return url; }});
            cases['angular src'] = ngImg.getRewrittenSrc();
            srcsets['angular fixed'] = {srcset: ngImg.getFixedSrcset(), asked: ngAsked};

            console.log(JSON.stringify({cases, srcsets, facts, tags}));
            """;

    /** What each generated URL must get: a format and size (0: not checked), or a 400 naming a part. */
    private record Expected(int status, String contentType, int width, int height, String fragment) {
        static Expected served(String contentType, int width, int height) {
            return new Expected(200, contentType, width, height, "");
        }

        static Expected refused(String fragment) {
            return new Expected(400, "application/json", 0, 0, fragment);
        }
    }

    private static final String WEBP = "image/webp";
    private static final String PNG = "image/png";

    /**
     * As Cloudinary documents each URL. The request's Accept lists WebP, so {@code f_auto}
     * (which every one of these libraries adds by default) answers WebP.
     */
    private static final Map<String, Expected> EXPECTED = Map.ofEntries(
            // unpic adds c_lfill and f_auto; with one dimension lfill scales to it.
            Map.entry("unpic width", Expected.served(WEBP, 300, 169)),
            Map.entry("unpic width and height", Expected.served(WEBP, 400, 300)),
            Map.entry("unpic webp quality", Expected.served(WEBP, 300, 169)),
            Map.entry("unpic png", Expected.served(PNG, 300, 169)),
            Map.entry("unpic fill gravity auto", Expected.served(WEBP, 400, 400)),
            // unpic percent-encodes '_' and ':' inside values: g_north%5Feast, b_rgb%3Aff0000.
            Map.entry("unpic fill gravity north_east", Expected.served(WEBP, 400, 400)),
            Map.entry("unpic fill gravity auto:subject", Expected.served(WEBP, 400, 400)),
            Map.entry("unpic pad black", Expected.served(WEBP, 300, 300)),
            Map.entry("unpic pad rgb", Expected.served(WEBP, 300, 300)),
            Map.entry("unpic dpr 2", Expected.served(WEBP, 600, 0)),
            Map.entry("unpic grayscale", Expected.served(WEBP, 300, 169)),
            Map.entry("unpic crop x y", Expected.served(WEBP, 300, 200)),
            Map.entry("unpic res.cloudinary.com with version", Expected.served(WEBP, 300, 169)),
            // Nuxt adds f_auto,q_auto; fit cover is c_lfill, contain c_scale, inside c_pad,
            // minCover c_mfit, minInside c_mpad.
            Map.entry("nuxt width", Expected.served(WEBP, 300, 169)),
            Map.entry("nuxt cover", Expected.served(WEBP, 300, 300)),
            Map.entry("nuxt fill north east", Expected.served(WEBP, 300, 200)),
            Map.entry("nuxt fill subject", Expected.served(WEBP, 300, 300)),
            Map.entry("nuxt contain", Expected.served(WEBP, 300, 300)),
            Map.entry("nuxt inside black", Expected.served(WEBP, 300, 300)),
            // f_png wins over f_auto: Nuxt writes the format modifier in place of the default.
            Map.entry("nuxt png", Expected.served(PNG, 200, 0)),
            Map.entry("nuxt rotate", Expected.served(WEBP, 675, 1200)),
            Map.entry("nuxt blur", Expected.served(WEBP, 300, 169)),
            Map.entry("nuxt dpr", Expected.served(WEBP, 600, 0)),
            Map.entry("nuxt round", Expected.served(WEBP, 300, 169)),
            Map.entry("nuxt minCover", Expected.refused("c_mfit")),
            Map.entry("nuxt minInside", Expected.refused("c_mpad")),
            // next-cloudinary: c_limit for a width alone; f_auto and q_auto as stages of their
            // own; v1 unless a version is given; effects as stages before the resize; ?_a=.
            Map.entry("next-cloudinary width", Expected.served(WEBP, 300, 169)),
            Map.entry("next-cloudinary fill auto", Expected.served(WEBP, 400, 400)),
            Map.entry("next-cloudinary pad black", Expected.served(WEBP, 300, 200)),
            Map.entry("next-cloudinary crop", Expected.served(WEBP, 300, 200)),
            Map.entry("next-cloudinary crop x y", Expected.served(WEBP, 300, 200)),
            Map.entry("next-cloudinary thumb zoom", Expected.served(WEBP, 300, 300)),
            Map.entry("next-cloudinary version", Expected.served(WEBP, 300, 169)),
            Map.entry("next-cloudinary angle", Expected.served(WEBP, 675, 1200)),
            Map.entry("next-cloudinary dpr", Expected.served(WEBP, 600, 0)),
            Map.entry("next-cloudinary png", Expected.served(PNG, 300, 169)),
            Map.entry("next-cloudinary aspect ratio", Expected.served(WEBP, 400, 225)),
            Map.entry("next-cloudinary auto subject", Expected.served(WEBP, 300, 300)),
            // The effect stages come before c_limit,w_300: the width is 300 whatever they do.
            Map.entry("next-cloudinary blur grayscale", Expected.served(WEBP, 300, 169)),
            Map.entry("next-cloudinary sepia", Expected.served(WEBP, 300, 169)),
            Map.entry("next-cloudinary pixelate", Expected.served(WEBP, 300, 169)),
            Map.entry("next-cloudinary brightness", Expected.served(WEBP, 300, 169)),
            Map.entry("next-cloudinary negate", Expected.served(WEBP, 300, 169)),
            // e_trim on a photo with no uniform border; the height is not checked.
            Map.entry("next-cloudinary trim", Expected.served(WEBP, 300, 0)),
            Map.entry("next-cloudinary opacity", Expected.served(WEBP, 300, 169)),
            Map.entry("next-cloudinary radius", Expected.served(WEBP, 300, 169)),
            // Whether the border grows the image or not, c_limit,w_300 comes after it.
            Map.entry("next-cloudinary border", Expected.served(WEBP, 300, 0)),
            // The image exists, so the default image is not used.
            Map.entry("next-cloudinary default image", Expected.served(WEBP, 300, 169)),
            Map.entry("next-cloudinary env config", Expected.served(WEBP, 300, 169)),
            // No f_auto: the original's format.
            Map.entry("url-gen private cdn fill", Expected.served("image/jpeg", 400, 400)),
            Map.entry("next-cloudinary c_auto", Expected.refused("c_auto")),
            Map.entry("next-cloudinary g_face", Expected.served(WEBP, 300, 300)),
            // Angular: f_auto,q_auto (q_auto:low for a placeholder), w_, then loaderParams.
            Map.entry("angular width", Expected.served(WEBP, 300, 169)),
            Map.entry("angular placeholder", Expected.served(WEBP, 30, 0)),
            Map.entry("angular transform fill", Expected.served(WEBP, 300, 200)),
            Map.entry("angular rounded", Expected.served(WEBP, 300, 169)),
            // NgOptimizedImage's src asks for no width: the original's size.
            Map.entry("angular src", Expected.served(WEBP, 1200, 675)));

    @TempDir
    static Path root;

    private Server server;
    private Vertx vertx;
    private WebClient client;
    private String id;
    private JsonObject generated;

    @BeforeAll
    void installTheLibrariesAndGenerate() throws Exception {
        Path node = root.resolve("node");
        Files.createDirectories(node);
        List<String> install = new ArrayList<>(List.of("npm", "install", "--prefix", node.toString(),
                "--no-audit", "--no-fund", "--loglevel=error", "--omit=optional"));
        install.addAll(PACKAGES);
        assumeTrue(run(install, node, 300).isPresent(), "npm or the npm registry is not available");
        Files.writeString(node.resolve("image-loader.mjs"), NEXT_LOADER);
        Files.writeString(node.resolve("generate.mjs"), SCRIPT);

        server = TestOrigin.start(root, "IMGORIGIN_UPLOAD_TOKEN", "front-end-token");
        vertx = Vertx.vertx();
        client = WebClient.create(vertx);
        // Uploaded as a site would, through POST /images.
        HttpResponse<Buffer> created = client.post(server.port(), "127.0.0.1", "/images")
                .bearerTokenAuthentication("front-end-token").putHeader("Content-Type", "image/jpeg")
                .sendBuffer(Buffer.buffer(ServeImagesContract.fixture("photo.jpg"))).await(60, TimeUnit.SECONDS);
        assertThat(created.statusCode()).as(created.bodyAsString()).isEqualTo(201);
        id = created.bodyAsJsonObject().getString("id");

        String output = run(List.of("node", node.resolve("generate.mjs").toString(), id,
                node.resolve("image-loader.mjs").toString()), node, 120)
                .orElseThrow(() -> new AssertionError("node could not run the generator: "
                        + readQuietly(node.resolve(".out"))));
        generated = new JsonObject(output.strip().lines().reduce((a, b) -> b).orElseThrow());
    }

    @AfterAll
    void stop() throws Exception {
        try {
            if (vertx != null) {
                vertx.close().await(10, TimeUnit.SECONDS);
            }
        } finally {
            if (server != null) {
                server.close();
            }
        }
    }

    @Test
    void everyGeneratedUrlHasAnExpectation() {
        assertThat(generated.getJsonObject("cases").fieldNames()).containsExactlyInAnyOrderElementsOf(EXPECTED.keySet());
    }

    @Test
    void theReadmeShowsTheNextLoaderThisTestRuns() throws Exception {
        assertThat(Files.readString(Path.of("README.md"))).contains(NEXT_LOADER);
    }

    /** The README says so: unpic needs {@code cdn: 'cloudinary'} for a host of your own. */
    @Test
    void unpicDetectsCloudinaryByItsHostOnly() {
        JsonObject facts = generated.getJsonObject("facts");
        assertThat(facts.getBoolean("unpic detects the custom host")).isFalse();
        assertThat(facts.getBoolean("unpic detects res.cloudinary.com")).isTrue();
    }

    @TestFactory
    Stream<DynamicTest> eachGeneratedUrlIsServedAsDocumented() {
        JsonObject cases = generated.getJsonObject("cases");
        return cases.fieldNames().stream().sorted().map(name -> DynamicTest.dynamicTest(name, () -> {
            String url = cases.getString(name);
            Expected expected = EXPECTED.get(name);
            assertThat(expected).as("an expectation for " + name).isNotNull();
            String what = name + ": " + url;
            HttpResponse<Buffer> answer = fetch(url);
            assertThat(answer.statusCode()).as(what + " -> " + answer.bodyAsString()).isEqualTo(expected.status());
            assertThat(answer.getHeader("Content-Type")).as(what).startsWith(expected.contentType());
            if (expected.status() == 200) {
                SourceInfo info = ServeImagesContract.inspect(answer);
                assertThat(info.width()).as(what).isEqualTo(expected.width());
                if (expected.height() > 0) {
                    assertThat(info.height()).as(what).isEqualTo(expected.height());
                }
            } else {
                ServeImagesContract.assertJsonError(answer, 400, expected.fragment());
            }
        }));
    }

    /**
     * Every candidate of every srcset the libraries built: 200 and an image of the width its
     * descriptor says ({@code w}), or of the width the library asked its loader for
     * ({@code x}). Next's loader writes {@code c_limit}, which never upscales: a candidate wider
     * than the source gets the source's width, as on Cloudinary.
     */
    @TestFactory
    Stream<DynamicTest> everySrcsetCandidateHasTheWidthItsDescriptorSays() {
        JsonObject srcsets = generated.getJsonObject("srcsets");
        List<DynamicTest> tests = new ArrayList<>();
        for (String name : srcsets.fieldNames().stream().sorted().toList()) {
            JsonObject set = srcsets.getJsonObject(name);
            Map<String, String> candidates = candidates(set.getString("srcset"));
            assertThat(candidates).as(name).hasSizeGreaterThanOrEqualTo(2);
            for (Map.Entry<String, String> candidate : candidates.entrySet()) {
                String url = candidate.getKey();
                String descriptor = candidate.getValue();
                tests.add(DynamicTest.dynamicTest(name + " " + descriptor, () -> {
                    int width;
                    if (descriptor.endsWith("w")) {
                        width = Integer.parseInt(descriptor.substring(0, descriptor.length() - 1));
                    } else {
                        width = set.getJsonObject("asked").getInteger(url);
                    }
                    if (name.startsWith("next")) {
                        width = Math.min(width, SOURCE_WIDTH);
                    }
                    HttpResponse<Buffer> answer = fetch(url);
                    String what = name + " " + descriptor + ": " + url;
                    assertThat(answer.statusCode()).as(what + " -> " + answer.bodyAsString()).isEqualTo(200);
                    assertThat(answer.getHeader("Content-Type")).as(what).startsWith(WEBP);
                    SourceInfo info = ServeImagesContract.inspect(answer);
                    assertThat(info.width()).as(what).isEqualTo(width);
                    Matcher height = Pattern.compile("[/,]h_(\\d+)[,/]").matcher(url);
                    // unpic's c_lfill at the source's aspect ratio or narrower, and Angular's
                    // w_,h_ with no crop mode (c_scale), give exactly the height asked for.
                    if ((name.startsWith("unpic") || name.startsWith("angular")) && height.find()) {
                        assertThat(info.height()).as(what).isEqualTo(Integer.parseInt(height.group(1)));
                    }
                }));
            }
        }
        return tests.stream();
    }

    /**
     * unpic's {@code <img srcset sizes>}, on a page served from another loopback origin, in
     * Chromium at a phone viewport (400 CSS px at 2x) and a desktop one (1280 CSS px at 1x and
     * 2x): each image loads, and its natural width (the candidate's pixel width over its
     * density, density being the descriptor over the slot width) is the slot width, which
     * holds only when the candidate's pixel width is what its descriptor says.
     */
    @Test
    void chromiumLoadsUnpicSrcsetsAtPhoneAndDesktopViewports() throws Exception {
        assumeTrue(ChromiumDriver.available(), "chromium and chromium-driver are not installed");
        String imageOrigin = "http://127.0.0.1:" + server.port();
        JsonObject tags = generated.getJsonObject("tags");
        String page = """
                <!doctype html><html><head><meta name="viewport" content="width=device-width">
                <style>body{margin:0}</style></head><body>
                %s
                %s
                </body></html>
                """.formatted(tags.getString("unpic constrained"), tags.getString("unpic fixed"))
                .replace(HOST, imageOrigin);
        assertThat(page).doesNotContain("images.example.com").contains("srcset=\"" + imageOrigin);
        HttpServer site = vertx.createHttpServer()
                .requestHandler(r -> r.response().putHeader("Content-Type", "text/html; charset=utf-8").end(page))
                .listen(0, "127.0.0.1").await(10, TimeUnit.SECONDS);
        try (ChromiumDriver browser = ChromiumDriver.start(root, true)) {
            String siteOrigin = "http://127.0.0.1:" + site.actualPort();
            // {viewport width, device pixel ratio, slot width of the constrained image}
            int[][] viewports = {{400, 2, 400}, {1280, 1, 600}, {1280, 2, 600}};
            for (int[] viewport : viewports) {
                browser.devTools("Network.clearBrowserCache", new JsonObject());
                browser.devTools("Emulation.setDeviceMetricsOverride", new JsonObject().put("width", viewport[0])
                        .put("height", 900).put("deviceScaleFactor", viewport[1]).put("mobile", false));
                browser.navigate(siteOrigin + "/?viewport=" + viewport[0] + "x" + viewport[1]);
                JsonObject state = awaitImages(browser);
                String what = viewport[0] + " CSS px at " + viewport[1] + "x: " + state.encode();
                assertThat(state.getInteger("dpr")).as(what).isEqualTo(viewport[1]);
                assertThat(state.getInteger("innerWidth")).as(what).isEqualTo(viewport[0]);
                JsonObject constrained = state.getJsonObject("constrained");
                JsonObject fixed = state.getJsonObject("fixed");
                // Whichever candidate Chromium picked (it may reuse one it has in memory), it
                // is one of the srcset's, drawn at the slot's size: 2:1, 600 px wide or the viewport's.
                assertThat(constrained.getString("currentSrc")).as(what).isIn(candidatesOn("unpic constrained", imageOrigin));
                assertThat(constrained.getInteger("naturalWidth")).as(what).isEqualTo(viewport[2]);
                assertThat(constrained.getInteger("naturalHeight")).as(what).isEqualTo(viewport[2] / 2);
                assertThat(fixed.getString("currentSrc")).as(what).isIn(candidatesOn("unpic fixed", imageOrigin));
                assertThat(fixed.getInteger("naturalWidth")).as(what).isEqualTo(300);
                assertThat(fixed.getInteger("naturalHeight")).as(what).isEqualTo(150);
            }
        } finally {
            site.close().await(10, TimeUnit.SECONDS);
        }
    }

    /** The candidate URLs of one of the generated srcsets, on {@code origin}. */
    private List<String> candidatesOn(String srcset, String origin) {
        return candidates(generated.getJsonObject("srcsets").getJsonObject(srcset).getString("srcset")).keySet().stream()
                .map(url -> url.replace(HOST, origin)).toList();
    }

    private static JsonObject awaitImages(ChromiumDriver browser) throws Exception {
        String script = """
                const state = {dpr: window.devicePixelRatio, innerWidth: window.innerWidth};
                for (const img of document.images) {
                  state[img.id] = {complete: img.complete, naturalWidth: img.naturalWidth,
                                   naturalHeight: img.naturalHeight, currentSrc: img.currentSrc};
                }
                return state;
                """;
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (true) {
            JsonObject state = (JsonObject) browser.execute(script);
            boolean loaded = Stream.of("constrained", "fixed").allMatch(img -> state.getJsonObject(img) != null
                    && state.getJsonObject(img).getBoolean("complete")
                    && state.getJsonObject(img).getInteger("naturalWidth") > 0);
            if (loaded || System.nanoTime() > deadline) {
                assertThat(loaded).as("both images loaded: " + state.encode()).isTrue();
                return state;
            }
            Thread.sleep(100);
        }
    }

    /** A srcset's candidates, URL to descriptor, in order. URLs hold commas, never a comma and a space. */
    static Map<String, String> candidates(String srcset) {
        Map<String, String> candidates = new LinkedHashMap<>();
        for (String candidate : srcset.strip().split(",\\s+")) {
            String[] parts = candidate.strip().split("\\s+");
            assertThat(parts).as(candidate).hasSize(2);
            candidates.put(parts[0], parts[1]);
        }
        return candidates;
    }

    /** GETs a generated URL with its host swapped for the test server's: the path and query string as the library wrote them. */
    private HttpResponse<Buffer> fetch(String url) throws Exception {
        URI generated = URI.create(url);
        String path = generated.getRawPath() + (generated.getRawQuery() == null ? "" : "?" + generated.getRawQuery());
        return client.get(server.port(), "127.0.0.1", path)
                .putHeader("Accept", "image/webp,image/*,*/*;q=0.8")
                .send().await(60, TimeUnit.SECONDS);
    }

    private static String readQuietly(Path file) {
        try {
            return Files.readString(file, StandardCharsets.UTF_8);
        } catch (java.io.IOException e) {
            return "";
        }
    }
}
