package io.keycloaksentinel.authenticators.breach.cli;

import io.keycloaksentinel.authenticators.breach.index.CorpusFormatException;
import io.keycloaksentinel.authenticators.breach.index.HibpIndex;
import io.keycloaksentinel.authenticators.breach.index.HibpIndexConverter;
import io.keycloaksentinel.authenticators.breach.index.IndexFormatException;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * The commands of the drop-in JAR ({@code java -jar keycloak-sentinel-<version>.jar ...}). Runs
 * on a bare JVM: it uses only the JDK and Sentinel's own classes, nothing of Keycloak's.
 *
 * <p>Exit codes: 0 done, 1 the input or index is not valid (or an I/O error), 2 usage error.
 *
 * @param in  where {@code hibp-index -} and {@code hibp-index-lookup} read
 * @param out results
 * @param err errors and progress
 */
public record SentinelCli(InputStream in, PrintStream out, PrintStream err) {

    static final int OK = 0;
    static final int INVALID = 1;
    static final int USAGE = 2;
    private static final long PROGRESS_EVERY_NANOS = 3_000_000_000L;

    static final String USAGE_TEXT = String.join(System.lineSeparator(),
            "Usage: java -jar keycloak-sentinel.jar <command> [arguments]",
            "",
            "Commands:",
            "  hibp-index <input.txt|-> <output.idx> [--min-count N] [--expected-entries N]",
            "      Converts the Have I Been Pwned Pwned Passwords file (SHA1HEX:COUNT lines, sorted by hash,",
            "      as written by HIBP's haveibeenpwned-downloader) into the index Sentinel memory-maps.",
            "      '-' reads standard input; then --expected-entries is required.",
            "      --min-count N         keep only hashes seen at least N times (default 1: all)",
            "      --expected-entries N  about how many hashes will be kept (default: estimated from the file size)",
            "  hibp-index-info <file.idx>",
            "      Prints the index header and validates the whole file (checksum).",
            "  hibp-index-lookup <file.idx>",
            "      Reads passwords from standard input, one per line, and prints for each line number",
            "      LISTED or NOT LISTED (never the password).",
            "",
            "Exit codes: 0 done, 1 invalid input or index, 2 usage error.");

    public static void main(String[] args) {
        int code = new SentinelCli(System.in, System.out, System.err).run(args);
        System.out.flush();
        System.exit(code);
    }

    /** Runs one command; returns the exit code. */
    public static int run(String[] args, InputStream in, PrintStream out, PrintStream err) {
        return new SentinelCli(in, out, err).run(args);
    }

    int run(String[] args) {
        if (args.length == 0) {
            return usage("no command given");
        }
        List<String> rest = List.of(args).subList(1, args.length);
        try {
            switch (args[0]) {
                case "help", "-h", "--help":
                    out.println(USAGE_TEXT);
                    return OK;
                case "hibp-index":
                    return hibpIndex(rest);
                case "hibp-index-info":
                    return hibpIndexInfo(rest);
                case "hibp-index-lookup":
                    return hibpIndexLookup(rest);
                default:
                    return usage("unknown command '" + args[0] + "'");
            }
        } catch (UsageException e) {
            return usage(e.getMessage());
        } catch (IOException e) {
            err.println("error: " + e);
            return INVALID;
        }
    }

    private int usage(String problem) {
        err.println("error: " + problem);
        err.println();
        err.println(USAGE_TEXT);
        return USAGE;
    }

    private static final class UsageException extends Exception {
        private static final long serialVersionUID = 1L;

        UsageException(String message) {
            super(message);
        }
    }

    private int hibpIndex(List<String> args) throws UsageException, IOException {
        List<String> positional = new ArrayList<>();
        long minCount = 1;
        long expected = -1;
        for (int i = 0; i < args.size(); i++) {
            String arg = args.get(i);
            if (arg.equals("--min-count") || arg.equals("--expected-entries")) {
                if (i + 1 >= args.size()) {
                    throw new UsageException(arg + " needs a number");
                }
                long value = positiveNumber(arg, args.get(++i));
                if (arg.equals("--min-count")) {
                    minCount = value;
                } else {
                    expected = value;
                }
            } else if (arg.startsWith("--min-count=") || arg.startsWith("--expected-entries=")) {
                String name = arg.substring(0, arg.indexOf('='));
                long value = positiveNumber(name, arg.substring(arg.indexOf('=') + 1));
                if (name.equals("--min-count")) {
                    minCount = value;
                } else {
                    expected = value;
                }
            } else if (arg.startsWith("--")) {
                throw new UsageException("unknown option " + arg);
            } else {
                positional.add(arg);
            }
        }
        if (positional.size() != 2) {
            throw new UsageException("hibp-index takes an input file (or -) and an output file");
        }
        boolean stdin = positional.get(0).equals("-");
        Path input = stdin ? null : Path.of(positional.get(0));
        Path output = Path.of(positional.get(1));
        long inputBytes = -1;
        if (stdin) {
            if (expected < 0) {
                throw new UsageException("reading standard input needs --expected-entries");
            }
        } else {
            if (!Files.isRegularFile(input)) {
                err.println("error: " + input + ": no such file");
                return INVALID;
            }
            inputBytes = Files.size(input);
            if (expected < 0) {
                expected = HibpIndexConverter.estimateEntries(inputBytes);
            }
        }
        Path outputDir = output.toAbsolutePath().getParent();
        if (!Files.isDirectory(outputDir)) {
            err.println("error: " + outputDir + ": no such directory");
            return INVALID;
        }
        if (Files.isDirectory(output)) {
            err.println("error: " + output + ": is a directory");
            return INVALID;
        }
        Progress progress = new Progress(inputBytes);
        HibpIndexConverter.Summary summary;
        try (InputStream source = stdin ? in : Files.newInputStream(input)) {
            summary = HibpIndexConverter.convert(source, output, minCount, expected, progress);
        } catch (CorpusFormatException e) {
            err.println("error: " + (stdin ? "standard input" : input.toString()) + ", " + e.getMessage());
            err.println("no index was written");
            return INVALID;
        }
        double seconds = summary.elapsedNanos() / 1e9;
        out.println("wrote " + summary.output());
        out.printf(Locale.ROOT, "  lines read          %,d%n", summary.lines());
        out.printf(Locale.ROOT, "  entries kept        %,d (count >= %d; skipped below it: %,d; merged, equal in their first %d bits: %,d)%n",
                summary.entries(), summary.minCount(), summary.belowMinCount(),
                summary.bucketBits() + summary.fingerprintBits(), summary.merged());
        out.printf(Locale.ROOT, "  file size           %,d bytes, %.3f bytes per hash%n", summary.fileBytes(), summary.bytesPerHash());
        out.printf(Locale.ROOT, "  layout              2^%d buckets of %.1f entries on average, %d-bit fingerprints%s%n",
                summary.bucketBits(), summary.averageBucketEntries(), summary.fingerprintBits(),
                summary.rebucketed() ? " (re-bucketed: fewer entries than expected)" : "");
        out.printf(Locale.ROOT, "  false-positive rate %.2g per lookup of a password not in the corpus (entries / 2^%d)%n",
                summary.falsePositiveRate(), summary.bucketBits() + summary.fingerprintBits());
        out.printf(Locale.ROOT, "  time                %.1f s, %,.0f hashes/s%n", seconds, summary.hashesPerSecond());
        summary.advice().ifPresent(advice -> out.println("  note: " + advice));
        return OK;
    }

    private static long positiveNumber(String option, String value) throws UsageException {
        try {
            long n = Long.parseLong(value.replace("_", ""));
            if (n < 1) {
                throw new UsageException(option + " must be at least 1");
            }
            return n;
        } catch (NumberFormatException e) {
            throw new UsageException(option + " needs a whole number");
        }
    }

    private final class Progress implements HibpIndexConverter.Progress {
        private final long totalBytes;
        private final long started = System.nanoTime();
        private long lastPrinted = started;

        Progress(long totalBytes) {
            this.totalBytes = totalBytes;
        }

        @Override
        public void report(long lines, long bytes, long kept) {
            long now = System.nanoTime();
            if (now - lastPrinted < PROGRESS_EVERY_NANOS) {
                return;
            }
            lastPrinted = now;
            double seconds = (now - started) / 1e9;
            String share = totalBytes > 0 ? String.format(Locale.ROOT, " (%.0f %%)", 100.0 * bytes / totalBytes) : "";
            err.printf(Locale.ROOT, "hibp-index: %,d lines%s, %,d kept, %,.0f lines/s%n", lines, share, kept, lines / seconds);
        }
    }

    private int hibpIndexInfo(List<String> args) throws UsageException, IOException {
        if (args.size() != 1 || args.get(0).startsWith("--")) {
            throw new UsageException("hibp-index-info takes one index file");
        }
        try (HibpIndex index = HibpIndex.open(Path.of(args.get(0)))) {
            HibpIndex.Info info = index.info();
            out.println("file                " + info.path().toAbsolutePath());
            out.println("format              Sentinel HIBP index, version 1");
            out.printf(Locale.ROOT, "entries             %,d%n", info.entries());
            out.printf(Locale.ROOT, "min count           %d%n", info.minCount());
            out.println("created             " + info.createdAt());
            out.printf(Locale.ROOT, "file size           %,d bytes, %.3f bytes per hash%n", info.fileBytes(), info.bytesPerEntry());
            out.printf(Locale.ROOT, "layout              2^%d buckets of %.1f entries on average, %d-bit fingerprints%n",
                    info.bucketBits(), info.averageBucketEntries(), info.fingerprintBits());
            out.printf(Locale.ROOT, "false-positive rate %.2g per lookup of a password not in the corpus%n", info.falsePositiveRate());
            out.println("checksum            OK");
            out.println("valid               yes");
            return OK;
        } catch (IndexFormatException e) {
            err.println("error: " + e.getMessage());
            out.println("valid               no");
            return INVALID;
        }
    }

    private int hibpIndexLookup(List<String> args) throws UsageException, IOException {
        if (args.size() != 1 || args.get(0).startsWith("--")) {
            throw new UsageException("hibp-index-lookup takes one index file (passwords come from standard input)");
        }
        MessageDigest sha1;
        try {
            sha1 = MessageDigest.getInstance("SHA-1");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("the JDK has no SHA-1", e);
        }
        try (HibpIndex index = HibpIndex.open(Path.of(args.get(0)));
                BufferedReader reader = new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8))) {
            long number = 0;
            long listed = 0;
            String password;
            while ((password = reader.readLine()) != null) {
                number++;
                boolean hit = index.contains(sha1.digest(password.getBytes(StandardCharsets.UTF_8)));
                if (hit) {
                    listed++;
                }
                out.println("line " + number + ": " + (hit ? "LISTED" : "NOT LISTED"));
            }
            out.flush();
            err.printf(Locale.ROOT, "%,d lines, %,d listed%n", number, listed);
            return OK;
        } catch (IndexFormatException e) {
            err.println("error: " + e.getMessage());
            return INVALID;
        }
    }
}
