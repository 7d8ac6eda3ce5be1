package org.inflvg.model;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/** The text encoder's words. Id 0 is padding (also the null prompt of classifier-free guidance). Unknown words are errors. */
public final class Vocabulary {

    public static final int PAD = 0;
    private final List<String> words;
    private final Map<String, Integer> ids = new HashMap<>();

    public Vocabulary(List<String> words) {
        this.words = new ArrayList<>();
        this.words.add("<pad>");
        this.words.addAll(words);
        for (int i = 0; i < this.words.size(); i++) {
            ids.put(this.words.get(i), i);
        }
    }

    public int size() {
        return words.size();
    }

    public List<String> words() {
        return List.copyOf(words.subList(1, words.size()));
    }

    /** Token ids of {@code text}, padded to {@code length}; an unknown word or a too-long text is an error. */
    public int[] encode(String text, int length) {
        String[] w = text.trim().toLowerCase(Locale.ROOT).replaceAll("[.,]", " ").trim().split("\\s+");
        if (w.length > length) {
            throw new IllegalArgumentException("text '" + text + "' has " + w.length + " words; the text encoder takes at most "
                    + length);
        }
        int[] out = new int[length];
        for (int i = 0; i < w.length; i++) {
            Integer id = ids.get(w[i]);
            if (id == null || id == PAD) {
                throw new IllegalArgumentException("unknown word '" + w[i] + "' in '" + text + "'; the text encoder knows: "
                        + String.join(", ", words()));
            }
            out[i] = id;
        }
        return out;
    }

    @Override
    public String toString() {
        return "Vocabulary" + Arrays.toString(words.toArray());
    }
}
