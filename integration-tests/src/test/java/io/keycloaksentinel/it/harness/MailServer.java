package io.keycloaksentinel.it.harness;

import com.icegreen.greenmail.util.GreenMail;
import com.icegreen.greenmail.util.GreenMailUtil;
import com.icegreen.greenmail.util.ServerSetup;
import jakarta.mail.Message;
import jakarta.mail.MessagingException;
import jakarta.mail.internet.MimeMessage;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A real SMTP server (GreenMail) on a loopback port in the test JVM. A realm whose SMTP settings
 * are {@link #realmSmtp()} mails through it; tests read what arrived, as the recipient would.
 */
public final class MailServer implements AutoCloseable {

    public static final String FROM = "sentinel@example.test";
    private final GreenMail mail;
    private final int port;

    public MailServer() {
        port = Ports.free();
        mail = new GreenMail(new ServerSetup(port, "127.0.0.1", ServerSetup.PROTOCOL_SMTP));
        mail.start();
    }

    /** The realm's {@code smtpServer} settings for this server. */
    public Map<String, String> realmSmtp() {
        return Map.of("host", "127.0.0.1", "port", Integer.toString(port), "from", FROM, "fromDisplayName", "Sentinel test");
    }

    /** A received message, as plain text (the text part, or the whole body). */
    public record Mail(String to, String subject, String text) {
        /** The first link in the text whose URL contains {@code fragment}. */
        public String link(String fragment) {
            Matcher m = Pattern.compile("https?://[^\\s\"<>]*" + Pattern.quote(fragment) + "[^\\s\"<>]*").matcher(text);
            if (!m.find()) {
                throw new AssertionError("No link with " + fragment + " in:\n" + text);
            }
            return m.group().replace("&amp;", "&");
        }
    }

    /** Every message received so far for {@code address}. */
    public List<Mail> to(String address) {
        List<Mail> out = new ArrayList<>();
        for (MimeMessage m : mail.getReceivedMessages()) {
            try {
                for (jakarta.mail.Address a : m.getRecipients(Message.RecipientType.TO)) {
                    // the address itself, exactly (not a part of another: "wner@" is not "owner@")
                    String to = a instanceof jakarta.mail.internet.InternetAddress ia ? ia.getAddress() : a.toString();
                    if (to != null && to.equalsIgnoreCase(address)) {
                        out.add(new Mail(address, m.getSubject(), text(m)));
                    }
                }
            } catch (MessagingException e) {
                throw new AssertionError(e);
            }
        }
        return out;
    }

    /** Waits (bounded) until {@code address} has received {@code count} messages and returns them. */
    public List<Mail> await(String address, int count, Duration within) {
        return Poll.until(count + " message(s) for " + address, within, () -> {
            List<Mail> got = to(address);
            return got.size() >= count ? got : null;
        });
    }

    private static String text(MimeMessage m) throws MessagingException {
        try {
            Object content = m.getContent();
            if (content instanceof jakarta.mail.Multipart multi) {
                for (int i = 0; i < multi.getCount(); i++) {
                    jakarta.mail.BodyPart part = multi.getBodyPart(i);
                    if (part.isMimeType("text/plain")) {
                        return part.getContent().toString();
                    }
                }
            }
            return GreenMailUtil.getBody(m);
        } catch (java.io.IOException e) {
            throw new MessagingException("unreadable body", e);
        }
    }

    @Override
    public void close() {
        mail.stop();
    }
}
