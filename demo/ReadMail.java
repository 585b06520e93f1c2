import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import jakarta.mail.BodyPart;
import jakarta.mail.Multipart;
import jakarta.mail.Part;
import jakarta.mail.Session;
import jakarta.mail.internet.MimeMessage;
import java.io.ByteArrayInputStream;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Properties;

/**
 * Prints the mails the demo's mail server (GreenMail, started by run.sh) received, as a person
 * reads them: to, from, date, subject and the text. {@code ./run.sh mail [ADDRESS]} runs it with
 * Java's single-file launcher and GreenMail's JAR on the class path (Jakarta Mail, Jackson).
 *
 * <p>Arguments: the mail server's API base URL ({@code http://127.0.0.1:8025}), then optionally one
 * address; without it, every mailbox.
 */
public final class ReadMail {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    public static void main(String[] args) throws Exception {
        String api = args[0];
        List<String> addresses = new ArrayList<>();
        if (args.length > 1) {
            addresses.add(args[1]);
        } else {
            for (JsonNode user : get(api + "/api/user")) {
                addresses.add(user.path("email").asText());
            }
        }
        if (addresses.isEmpty()) {
            System.out.println("No mail yet. Sign in to the demo (the first sign-in of a device mails its owner), "
                    + "or play ./run.sh attack-demo.");
            return;
        }
        Session session = Session.getInstance(new Properties());
        for (String address : addresses) {
            JsonNode messages = get(api + "/api/user/" + URLEncoder.encode(address, StandardCharsets.UTF_8) + "/messages/INBOX");
            if (!messages.isArray() || messages.isEmpty()) {
                System.out.println("No mail for " + address + " yet.");
                continue;
            }
            System.out.println("=== " + address + ": " + messages.size() + " mail(s), oldest first");
            for (JsonNode m : messages) {
                MimeMessage mail = new MimeMessage(session,
                        new ByteArrayInputStream(m.path("mimeMessage").asText().getBytes(StandardCharsets.UTF_8)));
                System.out.println();
                System.out.println("From:    " + shown(String.join(", ", header(mail.getHeader("From")))));
                System.out.println("To:      " + address);
                System.out.println("Date:    " + shown(String.join(", ", header(mail.getHeader("Date")))));
                System.out.println("Subject: " + shown(mail.getSubject()));
                System.out.println();
                System.out.println(shown(text(mail).strip()));
                System.out.println();
                System.out.println("-".repeat(78));
            }
        }
    }

    /**
     * What a mail says, safe for a terminal: control characters (escape sequences a sender could put
     * in a subject or a device name) shown as '?', line breaks and tabs kept.
     */
    private static String shown(String text) {
        return text == null ? "" : text.replace("\r\n", "\n").replaceAll("[\\p{Cntrl}&&[^\\n\\t]]", "?");
    }

    private static List<String> header(String[] values) {
        return values == null ? List.of("") : List.of(values);
    }

    private static JsonNode get(String url) throws Exception {
        HttpResponse<String> response = HTTP.send(HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(10)).build(),
                HttpResponse.BodyHandlers.ofString());
        if (response.statusCode() != 200) {
            // GreenMail answers an address that never received mail with an error
            return JSON.createArrayNode();
        }
        return JSON.readTree(response.body());
    }

    /** The text part of a message (or its HTML without tags, when it has no text part). */
    private static String text(Part part) throws Exception {
        if (part.isMimeType("text/plain")) {
            return part.getContent().toString();
        }
        if (part.isMimeType("multipart/*")) {
            Multipart multi = (Multipart) part.getContent();
            String html = null;
            for (int i = 0; i < multi.getCount(); i++) {
                BodyPart child = multi.getBodyPart(i);
                if (child.isMimeType("text/html")) {
                    html = text(child);
                    continue;
                }
                String found = text(child);
                if (!found.isEmpty()) {
                    return found;
                }
            }
            return html == null ? "" : html;
        }
        if (part.isMimeType("text/html")) {
            return part.getContent().toString().replaceAll("(?s)<(style|script)[^>]*>.*?</\\1>", "")
                    .replaceAll("<[^>]+>", "").replaceAll("\n\\s*\n\\s*\n+", "\n\n");
        }
        return "";
    }
}
