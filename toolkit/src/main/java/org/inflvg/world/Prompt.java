package org.inflvg.world;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;

/**
 * A SpriteWorld scene prompt, "A {subject} {action} {background}", e.g. "A robot jumps on the beach".
 * Parsing is exact up to case and runs of spaces ("An" is accepted before a vowel).
 */
public record Prompt(Subject subject, Action action, Background background) {

    public Prompt {
        if (subject == null || action == null || background == null) {
            throw new IllegalArgumentException("a prompt needs a subject, an action and a background");
        }
    }

    /** Parses a prompt, or throws an error that names the unknown part and lists the vocabulary. */
    public static Prompt parse(String text) {
        if (text == null || text.isBlank()) {
            throw new IllegalArgumentException("empty prompt; expected 'A {subject} {action} {background}', e.g. "
                    + "'A robot jumps on the beach'");
        }
        String norm = text.trim().replaceAll("\\s+", " ").toLowerCase(Locale.ROOT);
        String[] w = norm.split(" ");
        if (!(w[0].equals("a") || w[0].equals("an")) || w.length < 3) {
            throw new IllegalArgumentException("prompt '" + text + "' must read 'A {subject} {action} {background}', "
                    + "e.g. 'A robot jumps on the beach'; " + vocabulary());
        }
        Subject subject;
        try {
            subject = Subject.fromWord(w[1]);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("in prompt '" + text + "': unknown subject '" + w[1] + "'; " + vocabulary());
        }
        String rest = String.join(" ", Arrays.copyOfRange(w, 2, w.length));
        Action action = null;
        for (Action a : Action.values()) {
            if (rest.startsWith(a.phrase() + " ") && (action == null || a.phrase().length() > action.phrase().length())) {
                action = a;
            }
        }
        if (action == null) {
            throw new IllegalArgumentException("in prompt '" + text + "': unknown action at '" + rest + "'; " + vocabulary());
        }
        String bg = rest.substring(action.phrase().length() + 1);
        Background background;
        try {
            background = Background.fromPhrase(bg);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("in prompt '" + text + "': " + e.getMessage());
        }
        return new Prompt(subject, action, background);
    }

    /** Whether {@code text} is a prompt this world can render. */
    public static boolean isValid(String text) {
        try {
            parse(text);
            return true;
        } catch (IllegalArgumentException e) {
            return false;
        }
    }

    /** Lists the words the grammar accepts. */
    public static String vocabulary() {
        return "subjects: " + String.join(", ", Subject.words()) + "; actions: " + String.join(", ", Action.phrases())
                + "; backgrounds: " + String.join(", ", Background.phrases());
    }

    /** Every word that may appear in a prompt, sorted, for text encoders. */
    public static List<String> words() {
        var set = new java.util.TreeSet<String>();
        set.add("a");
        set.add("an");
        Subject.words().forEach(set::add);
        Action.phrases().forEach(p -> set.addAll(Arrays.asList(p.split(" "))));
        Background.phrases().forEach(p -> set.addAll(Arrays.asList(p.split(" "))));
        return new ArrayList<>(set);
    }

    /** The prompt's words, lower case, in order: the model's text tokens. */
    public List<String> tokens() {
        return Arrays.asList(toString().toLowerCase(Locale.ROOT).split(" "));
    }

    /** The subject part of the prompt ("A robot"), which the context policy reads. */
    public String subjectText() {
        return article() + " " + subject.word();
    }

    /** This prompt with another background. */
    public Prompt withBackground(Background b) {
        return new Prompt(subject, action, b);
    }

    /** This prompt with another action. */
    public Prompt withAction(Action a) {
        return new Prompt(subject, a, background);
    }

    private String article() {
        return "aeiou".indexOf(subject.word().charAt(0)) >= 0 ? "An" : "A";
    }

    @Override
    public String toString() {
        return article() + " " + subject.word() + " " + action.phrase() + " " + background.phrase();
    }
}
