package org.imgorigin.url;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

class PresetsTest {
    private static final Presets PRESETS =
            Presets.parse("thumb=c_fill,w_150,h_150;hero=w_1600,q_auto;sharp-2x=dpr_2,e_sharpen:300,fl_progressive");

    private static String canonical(String segment) {
        return TransformationPrinter.print(TransformationParser.parse(segment, PRESETS));
    }

    @Test
    void readsEachDefinitionWithTheUrlGrammar() {
        assertThat(PRESETS.byName()).containsOnlyKeys("thumb", "hero", "sharp-2x");
        assertThat(PRESETS.get("thumb")).contains(TransformationParser.parse("h_150,w_150,c_fill", Presets.NONE));
        assertThat(PRESETS.get("hero")).contains(TransformationParser.parse("q_auto,w_1600", Presets.NONE));
        assertThat(PRESETS.get("nope")).isEmpty();
    }

    @ParameterizedTest(name = "{0} -> {1}")
    @CsvSource(delimiter = '|', textBlock = """
            t_thumb                     | c_fill,h_150,w_150
            t_hero                      | q_auto,w_1600
            t_sharp-2x                  | dpr_2.0,e_sharpen:300,fl_progressive
            t_thumb,w_300               | c_fill,h_150,w_300
            w_300,t_thumb               | c_fill,h_150,w_300
            t_thumb,c_scale             | h_150,w_150
            t_thumb,g_auto,f_webp       | c_fill,f_webp,g_auto,h_150,w_150
            t_hero,q_80                 | q_80,w_1600
            q_auto:low,t_hero           | q_auto:low,w_1600
            t_sharp-2x,dpr_1.0          | e_sharpen:300,fl_progressive
            t_sharp-2x,e_sharpen        | dpr_2.0,e_sharpen,fl_progressive
            """)
    void explicitParametersOverrideThePreset(String segment, String expected) {
        assertThat(canonical(segment)).isEqualTo(expected);
    }

    @Test
    void unknownPresetIsNamed() {
        assertThatThrownBy(() -> TransformationParser.parse("w_10,t_banner", PRESETS))
                .isInstanceOfSatisfying(UrlException.class, e -> assertThat(e.parameter()).isEqualTo("t_banner"))
                .hasMessageContaining("unknown preset 'banner'");
    }

    @ParameterizedTest
    @ValueSource(strings = {"", "   "})
    void blankIsNoPresets(String text) {
        assertThat(Presets.parse(text)).isEqualTo(Presets.NONE);
        assertThat(Presets.NONE.byName()).isEmpty();
    }

    @Test
    void spacesAroundDefinitionsAreIgnored() {
        Presets p = Presets.parse(" thumb = c_fill,w_150 ; hero=w_1600 ");

        assertThat(p.byName()).containsOnlyKeys("thumb", "hero");
        assertThat(TransformationPrinter.print(p.get("thumb").orElseThrow())).isEqualTo("c_fill,w_150");
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', textBlock = """
            thumb                       | is not <name>=<transformation>
            =w_1                        | bad preset name ''
            Thumb=w_1                   | bad preset name 'Thumb'
            th umb=w_1                  | bad preset name 'th umb'
            th.umb=w_1                  | bad preset name 'th.umb'
            thumb=                      | preset 'thumb': invalid transformation: it is empty
            thumb=w_abc                 | preset 'thumb': invalid parameter 'w_abc'
            thumb=w_1,,h_1              | preset 'thumb': invalid transformation 'w_1,,h_1': empty parameter
            thumb=w_1,w_2               | preset 'thumb': repeated parameter 'w_2'
            a=w_1;b=t_a                 | preset 'b': invalid parameter 't_a': a preset may not use another preset
            a=w_1;a=w_2                 | preset 'a' is defined twice
            a=w_1;;b=w_2                | empty preset definition
            a=w_1;                      | empty preset definition
            a=w_1=2                     | preset 'a': invalid parameter 'w_1=2'
            """)
    void badDefinitionsAreRefusedClearly(String definitions, String message) {
        assertThatThrownBy(() -> Presets.parse(definitions))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining(message);
    }

    @Test
    void aBuiltPresetsValueChecksItsNames() {
        assertThatThrownBy(() -> new Presets(Map.of("Bad Name", Transformation.NONE)))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("Bad Name");
    }
}
