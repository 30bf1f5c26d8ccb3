// Helper for deploy/local/kafka: waits until the broker answers real client requests and
// makes sure topics exist, all in one JVM (cheaper than one kafka-topics call per topic).
//
//   KafkaLocalAdmin ensure BOOTSTRAP TIMEOUT_S PID|- [name:partitions ...]
//
// Exit codes: 0 ready (and topics present with leaders), 2 timed out,
//             3 the broker process PID exited, 1 other error.

import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.CreateTopicsOptions;
import org.apache.kafka.clients.admin.DescribeClusterOptions;
import org.apache.kafka.clients.admin.DescribeTopicsOptions;
import org.apache.kafka.clients.admin.ListTopicsOptions;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.common.Node;
import org.apache.kafka.common.TopicPartitionInfo;
import org.apache.kafka.common.errors.TopicExistsException;

import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;

public final class KafkaLocalAdmin {
    static final class Timeout extends Exception {
        Timeout(String m) { super(m); }
    }

    static final class BrokerDied extends Exception {
        BrokerDied(String m) { super(m); }
    }

    private final long deadlineNanos;
    private final long pid;
    private String lastError = "";

    private KafkaLocalAdmin(long timeoutSeconds, long pid) {
        this.deadlineNanos = System.nanoTime() + TimeUnit.SECONDS.toNanos(timeoutSeconds);
        this.pid = pid;
    }

    public static void main(String[] args) {
        if (args.length < 4 || !args[0].equals("ensure")) {
            System.err.println("usage: KafkaLocalAdmin ensure BOOTSTRAP TIMEOUT_S PID|- [name:partitions ...]");
            System.exit(1);
        }
        String bootstrap = args[1];
        long timeout = Long.parseLong(args[2]);
        long pid = args[3].equals("-") ? -1 : Long.parseLong(args[3]);
        Map<String, Integer> topics = new LinkedHashMap<>();
        for (int i = 4; i < args.length; i++) {
            String[] p = args[i].split(":", 2);
            if (p.length != 2 || p[0].isEmpty()) {
                System.err.println("bad topic spec '" + args[i] + "' (want name:partitions)");
                System.exit(1);
            }
            topics.put(p[0], Integer.parseInt(p[1]));
        }
        int code;
        try {
            new KafkaLocalAdmin(timeout, pid).run(bootstrap, topics);
            code = 0;
        } catch (Timeout e) {
            System.err.println(e.getMessage());
            code = 2;
        } catch (BrokerDied e) {
            System.err.println(e.getMessage());
            code = 3;
        } catch (Exception e) {
            System.err.println("error: " + e);
            code = 1;
        }
        System.out.flush();
        // Admin.close() can linger on an unreachable broker; exit right away.
        Runtime.getRuntime().halt(code);
    }

    private void run(String bootstrap, Map<String, Integer> topics) throws Exception {
        Properties props = new Properties();
        props.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
        props.put(AdminClientConfig.CLIENT_ID_CONFIG, "postwatch-local-admin");
        props.put(AdminClientConfig.REQUEST_TIMEOUT_MS_CONFIG, "3000");
        props.put(AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, "4000");
        props.put(AdminClientConfig.SOCKET_CONNECTION_SETUP_TIMEOUT_MS_CONFIG, "1000");
        props.put(AdminClientConfig.SOCKET_CONNECTION_SETUP_TIMEOUT_MAX_MS_CONFIG, "2000");
        props.put(AdminClientConfig.RECONNECT_BACKOFF_MS_CONFIG, "100");
        props.put(AdminClientConfig.RECONNECT_BACKOFF_MAX_MS_CONFIG, "500");
        props.put(AdminClientConfig.RETRY_BACKOFF_MS_CONFIG, "200");
        props.put(AdminClientConfig.RETRY_BACKOFF_MAX_MS_CONFIG, "500");
        try (Admin admin = Admin.create(props)) {
            waitReady(admin);
            if (!topics.isEmpty()) {
                ensureTopics(admin, topics);
            }
        }
    }

    private int remainingMs() throws Timeout, BrokerDied {
        checkAlive();
        long ms = TimeUnit.NANOSECONDS.toMillis(deadlineNanos - System.nanoTime());
        if (ms <= 0) {
            throw new Timeout("timed out; last error: " + (lastError.isEmpty() ? "none" : lastError));
        }
        return (int) Math.min(ms, 4000);
    }

    private void checkAlive() throws BrokerDied {
        if (pid > 0 && !ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false)) {
            throw new BrokerDied("broker process " + pid + " exited");
        }
    }

    private void pause(Exception e) throws Timeout, BrokerDied {
        Throwable c = e instanceof ExecutionException && e.getCause() != null ? e.getCause() : e;
        lastError = c.getClass().getSimpleName() + ": " + c.getMessage();
        remainingMs();
        try {
            Thread.sleep(300);
        } catch (InterruptedException ie) {
            Thread.currentThread().interrupt();
        }
    }

    /** Ready = a metadata round trip returns this broker and an active controller. */
    private void waitReady(Admin admin) throws Timeout, BrokerDied {
        while (true) {
            int t = remainingMs();
            try {
                var cluster = admin.describeCluster(new DescribeClusterOptions().timeoutMs(t));
                Collection<Node> nodes = cluster.nodes().get(t, TimeUnit.MILLISECONDS);
                Node controller = cluster.controller().get(t, TimeUnit.MILLISECONDS);
                admin.listTopics(new ListTopicsOptions().timeoutMs(t)).names().get(t, TimeUnit.MILLISECONDS);
                if (!nodes.isEmpty() && controller != null && !controller.isEmpty()) {
                    return;
                }
                lastError = "cluster has no nodes/controller yet";
                pause(new Exception(lastError));
            } catch (Timeout | BrokerDied e) {
                throw e;
            } catch (Exception e) {
                pause(e);
            }
        }
    }

    private void ensureTopics(Admin admin, Map<String, Integer> wanted) throws Timeout, BrokerDied {
        // Create what is missing (retrying transient errors).
        while (true) {
            int t = remainingMs();
            try {
                Set<String> existing = admin.listTopics(new ListTopicsOptions().timeoutMs(t))
                        .names().get(t, TimeUnit.MILLISECONDS);
                List<NewTopic> missing = new ArrayList<>();
                for (var e : wanted.entrySet()) {
                    if (!existing.contains(e.getKey())) {
                        missing.add(new NewTopic(e.getKey(), e.getValue(), (short) 1));
                    }
                }
                if (missing.isEmpty()) {
                    break;
                }
                var result = admin.createTopics(missing, new CreateTopicsOptions().timeoutMs(t));
                boolean retry = false;
                for (NewTopic nt : missing) {
                    try {
                        result.values().get(nt.name()).get(t, TimeUnit.MILLISECONDS);
                        System.out.println("created topic " + nt.name() + " (" + nt.numPartitions() + " partitions)");
                    } catch (ExecutionException ee) {
                        if (!(ee.getCause() instanceof TopicExistsException)) {
                            if (ee.getCause() instanceof org.apache.kafka.common.errors.RetriableException) {
                                lastError = "create " + nt.name() + ": " + ee.getCause();
                                retry = true;
                            } else {
                                throw new IllegalStateException("cannot create topic " + nt.name() + ": " + ee.getCause());
                            }
                        }
                    }
                }
                if (!retry) {
                    break;
                }
                pause(new Exception(lastError));
            } catch (Timeout | BrokerDied | IllegalStateException e) {
                throw e;
            } catch (Exception e) {
                pause(e);
            }
        }
        // Wait until every partition has a leader, so producers can use the topics right away.
        while (true) {
            int t = remainingMs();
            try {
                Map<String, TopicDescription> d = admin.describeTopics(wanted.keySet(),
                        new DescribeTopicsOptions().timeoutMs(t)).allTopicNames().get(t, TimeUnit.MILLISECONDS);
                boolean ok = true;
                for (TopicDescription td : d.values()) {
                    for (TopicPartitionInfo p : td.partitions()) {
                        if (p.leader() == null || p.leader().isEmpty()) {
                            ok = false;
                        }
                    }
                }
                if (ok) {
                    for (var e : wanted.entrySet()) {
                        int n = d.get(e.getKey()).partitions().size();
                        String note = n == e.getValue() ? "" : "  (WARNING: expected " + e.getValue()
                                + "; left unchanged — `kafka reset` to recreate)";
                        System.out.println("topic " + e.getKey() + " partitions=" + n + note);
                    }
                    return;
                }
                lastError = "some partitions have no leader yet";
                pause(new Exception(lastError));
            } catch (Timeout | BrokerDied e) {
                throw e;
            } catch (Exception e) {
                pause(e);
            }
        }
    }
}
