package customerasync.interop;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;

import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.errors.TopicExistsException;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.header.Headers;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.springframework.kafka.core.DefaultKafkaConsumerFactory;
import org.springframework.kafka.core.DefaultKafkaProducerFactory;
import org.springframework.kafka.listener.ContainerProperties;
import org.springframework.kafka.listener.KafkaMessageListenerContainer;
import org.springframework.kafka.requestreply.KafkaReplyTimeoutException;
import org.springframework.kafka.requestreply.ReplyingKafkaTemplate;
import org.springframework.kafka.requestreply.RequestReplyFuture;
import org.springframework.kafka.support.KafkaHeaders;

/**
 * A Spring for Apache Kafka client of the customer-async service: one request through a
 * {@link ReplyingKafkaTemplate} with its default settings (binary correlation id in
 * {@code kafka_correlationId}, reply topic in {@code kafka_replyTopic}), the reply as one JSON
 * line on stdout.
 *
 * <pre>
 * SpringClient [--timeout=SECONDS] BOOTSTRAP PREFIX create FILE|-
 * SpringClient [--timeout=SECONDS] BOOTSTRAP PREFIX retrieve ID
 * </pre>
 *
 * <p>Exit status: 0 a reply arrived (whatever its Status-Code), 2 bad usage, 3 no reply in time,
 * 1 anything else.
 */
public final class SpringClient {

    private static final String USAGE =
            "usage: SpringClient [--timeout=SECONDS] BOOTSTRAP PREFIX (create FILE|- | retrieve ID)";

    private SpringClient() {
    }

    public static void main(String[] args) {
        // Before any logger exists: kafka-clients and Spring log warnings only, to stderr.
        System.setProperty("org.slf4j.simpleLogger.defaultLogLevel", "warn");
        System.setProperty("org.slf4j.simpleLogger.logFile", "System.err");
        int status;
        try {
            status = run(args);
        } catch (UsageException e) {
            System.err.println(e.getMessage());
            System.err.println(USAGE);
            status = 2;
        } catch (Exception e) {
            System.err.println("spring-client: " + e);
            status = 1;
        }
        System.exit(status);
    }

    private static int run(String[] args) throws Exception {
        Duration timeout = Duration.ofSeconds(30);
        int first = 0;
        if (args.length > 0 && args[0].startsWith("--timeout=")) {
            timeout = Duration.ofMillis(
                    (long) (Double.parseDouble(args[0].substring("--timeout=".length())) * 1000));
            first = 1;
        }
        if (args.length - first != 4) {
            throw new UsageException("expected 4 arguments, got " + (args.length - first));
        }
        String bootstrap = args[first];
        String prefix = args[first + 1];
        String command = args[first + 2];
        String argument = args[first + 3];

        String operation;
        String value;
        String parameters;
        switch (command) {
            case "create" -> {
                operation = "create";
                value = readPayload(argument);
                parameters = null;
            }
            case "retrieve" -> {
                operation = "retrieve";
                value = null;
                parameters = "{\"id\": " + jsonString(argument) + "}";
            }
            default -> throw new UsageException("unknown command " + command);
        }
        String requestTopic = prefix + ".customerManagement.v5." + operation + "Customer.commandRequest";
        // The service's default allow-list takes any topic ending in ".commandReply".
        String replyTopic = prefix + ".spring.commandReply";
        createTopic(bootstrap, replyTopic);

        DefaultKafkaProducerFactory<String, String> producers = new DefaultKafkaProducerFactory<>(
                Map.of(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap,
                        ProducerConfig.ACKS_CONFIG, "all"),
                new StringSerializer(), new StringSerializer());
        DefaultKafkaConsumerFactory<String, String> consumers = new DefaultKafkaConsumerFactory<>(
                Map.of(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap,
                        ConsumerConfig.GROUP_ID_CONFIG, prefix + ".spring-client"),
                new StringDeserializer(), new StringDeserializer());
        KafkaMessageListenerContainer<String, String> replies =
                new KafkaMessageListenerContainer<>(consumers, new ContainerProperties(replyTopic));
        ReplyingKafkaTemplate<String, String, String> template =
                new ReplyingKafkaTemplate<>(producers, replies);
        template.afterPropertiesSet();
        template.start();
        try {
            // A new group reads from the end: send only once the reply partitions are ours.
            if (!template.waitForAssignment(timeout)) {
                System.err.println("spring-client: reply topic " + replyTopic + " not assigned in " + timeout);
                return 3;
            }
            ProducerRecord<String, String> request = new ProducerRecord<>(requestTopic, null, value);
            if (parameters != null) {
                request.headers().add("Parameters", parameters.getBytes(StandardCharsets.UTF_8));
            }
            RequestReplyFuture<String, String, String> future = template.sendAndReceive(request, timeout);
            ProducerRecord<String, String> sent =
                    future.getSendFuture().get(timeout.toMillis(), TimeUnit.MILLISECONDS).getProducerRecord();
            byte[] correlationSent = lastValue(sent.headers(), KafkaHeaders.CORRELATION_ID);
            ConsumerRecord<String, String> reply;
            try {
                reply = future.get();
            } catch (ExecutionException e) {
                if (e.getCause() instanceof KafkaReplyTimeoutException) {
                    System.err.println("spring-client: no reply in " + timeout + " (correlation "
                            + hex(correlationSent) + ")");
                    return 3;
                }
                throw e;
            }
            System.out.println(report(command, sent, reply, correlationSent));
            return 0;
        } finally {
            template.stop();
            template.destroy();
            producers.destroy();
        }
    }

    /** The reply as one JSON line: what Spring received, and the correlation it sent and got. */
    private static String report(String command, ProducerRecord<String, String> sent,
            ConsumerRecord<String, String> reply, byte[] correlationSent) {
        byte[] correlationReceived = lastValue(reply.headers(), KafkaHeaders.CORRELATION_ID);
        byte[] status = lastValue(reply.headers(), "Status-Code");
        StringBuilder headers = new StringBuilder("{");
        for (Header header : reply.headers()) {
            if (headers.length() > 1) {
                headers.append(',');
            }
            // Spring's own headers are binary; the service's are UTF-8 text.
            String text = header.key().startsWith("kafka_") ? hex(header.value()) : utf8(header.value());
            headers.append(jsonString(header.key())).append(':').append(jsonString(text));
        }
        headers.append('}');
        return "{\"command\":" + jsonString(command)
                + ",\"requestTopic\":" + jsonString(sent.topic())
                + ",\"replyTopicSent\":" + jsonString(utf8(lastValue(sent.headers(), KafkaHeaders.REPLY_TOPIC)))
                + ",\"replyTopic\":" + jsonString(reply.topic())
                + ",\"correlationSent\":" + jsonString(hex(correlationSent))
                + ",\"correlationReceived\":" + jsonString(hex(correlationReceived))
                + ",\"correlationMatched\":" + java.util.Arrays.equals(correlationSent, correlationReceived)
                + ",\"status\":" + jsonString(utf8(status))
                + ",\"key\":" + jsonString(reply.key())
                + ",\"headers\":" + headers
                + ",\"value\":" + jsonString(reply.value())
                + "}";
    }

    private static void createTopic(String bootstrap, String topic) throws Exception {
        try (Admin admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap))) {
            admin.createTopics(List.of(new NewTopic(topic, 1, (short) 1))).all().get(30, TimeUnit.SECONDS);
        } catch (ExecutionException e) {
            if (!(e.getCause() instanceof TopicExistsException)) {
                throw e;
            }
        }
    }

    private static String readPayload(String source) throws IOException {
        if ("-".equals(source)) {
            try (InputStream in = System.in) {
                return new String(in.readAllBytes(), StandardCharsets.UTF_8);
            }
        }
        return Files.readString(Path.of(source), StandardCharsets.UTF_8);
    }

    private static byte[] lastValue(Headers headers, String name) {
        Header header = headers.lastHeader(name);
        return header == null ? null : header.value();
    }

    private static String utf8(byte[] bytes) {
        return bytes == null ? null : new String(bytes, StandardCharsets.UTF_8);
    }

    private static String hex(byte[] bytes) {
        if (bytes == null) {
            return null;
        }
        StringBuilder out = new StringBuilder(bytes.length * 2);
        for (byte b : bytes) {
            out.append(Character.forDigit((b >> 4) & 0xf, 16)).append(Character.forDigit(b & 0xf, 16));
        }
        return out.toString();
    }

    /** A JSON string literal (or null). */
    private static String jsonString(String text) {
        if (text == null) {
            return "null";
        }
        StringBuilder out = new StringBuilder(text.length() + 2).append('"');
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            switch (c) {
                case '"' -> out.append("\\\"");
                case '\\' -> out.append("\\\\");
                case '\n' -> out.append("\\n");
                case '\r' -> out.append("\\r");
                case '\t' -> out.append("\\t");
                default -> {
                    if (c < 0x20) {
                        out.append(String.format("\\u%04x", (int) c));
                    } else {
                        out.append(c);
                    }
                }
            }
        }
        return out.append('"').toString();
    }

    private static final class UsageException extends Exception {
        UsageException(String message) {
            super(message);
        }
    }
}
