/*
 * Single-node OpenSearch 2.19 for session-analytics-gateway's tests and local
 * runs, started as a plain Java process (no distribution tarball).
 *
 * Run with Java 17's single-file source launcher (no compile step):
 *
 *   java -cp "$(cat classpath.txt)" Launcher.java HOME DATA PORT [key=value ...]
 *
 * HOME  path.home (a config/ folder is created in it; no opensearch.yml needed)
 * DATA  path.data
 * PORT  http.port, bound on 127.0.0.1 only
 * key=value  extra node settings, applied last
 *
 * scripts/services/opensearch.sh wraps this (classpath, JVM flags, health wait).
 *
 * The node is started through a subclass of org.opensearch.node.Node because
 * the constructor that takes classpath plugins is protected. Starting it
 * directly (not through org.opensearch.bootstrap.Bootstrap) installs no
 * security manager and runs no bootstrap checks, so it also works as root.
 * SIGTERM/SIGINT close the node cleanly through a shutdown hook.
 */

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Collection;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

import org.opensearch.analysis.common.CommonAnalysisPlugin;
import org.opensearch.common.settings.Settings;
import org.opensearch.env.Environment;
import org.opensearch.node.InternalSettingsPreparer;
import org.opensearch.node.Node;
import org.opensearch.painless.PainlessPlugin;
import org.opensearch.plugins.Plugin;
import org.opensearch.transport.Netty4Plugin;

public class Launcher {

    /** Node with a fixed set of plugins loaded from the classpath. */
    static final class SagNode extends Node {
        SagNode(Environment environment, Collection<Class<? extends Plugin>> plugins) {
            super(environment, plugins, true);
        }
    }

    static final List<Class<? extends Plugin>> PLUGINS = List.of(
        Netty4Plugin.class,         // HTTP + transport layer (required)
        CommonAnalysisPlugin.class, // standard analyzers/tokenizers/filters
        PainlessPlugin.class        // scripts (update_by_query, script sorts...)
    );

    public static void main(String[] args) throws Exception {
        if (args.length < 3) {
            System.err.println("usage: Launcher HOME DATA PORT [key=value ...]");
            System.exit(2);
        }
        Path home = Path.of(args[0]).toAbsolutePath();
        Path data = Path.of(args[1]).toAbsolutePath();
        int port = Integer.parseInt(args[2]);
        Path config = home.resolve("config");
        Files.createDirectories(config);
        Files.createDirectories(data);

        Settings.Builder settings = Settings.builder()
            .put("path.home", home.toString())
            .put("path.data", data.toString())
            .put("path.logs", home.resolve("logs").toString())
            .put("cluster.name", "sag-opensearch")
            .put("node.name", "sag-node-" + port)
            .put("discovery.type", "single-node")
            .put("network.host", "127.0.0.1")
            .put("http.port", port)
            // transport is needed internally but nobody joins: any free port
            .put("transport.port", "0")
            .put("cluster.routing.allocation.disk.threshold_enabled", false)
            // nothing here calls mlockall (that is Bootstrap's job); say so explicitly
            .put("bootstrap.memory_lock", false);
        for (int i = 3; i < args.length; i++) {
            int eq = args[i].indexOf('=');
            if (eq <= 0) {
                System.err.println("bad setting (want key=value): " + args[i]);
                System.exit(2);
            }
            settings.put(args[i].substring(0, eq), args[i].substring(eq + 1));
        }

        Environment environment = InternalSettingsPreparer.prepareEnvironment(
            settings.build(), Collections.emptyMap(), config, () -> "sag-node-" + port);
        Node node = new SagNode(environment, PLUGINS);

        CountDownLatch closed = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            try {
                node.close();
                node.awaitClose(20, TimeUnit.SECONDS);
            } catch (Exception e) {
                e.printStackTrace();
            } finally {
                closed.countDown();
            }
        }, "sag-opensearch-shutdown"));

        try {
            node.start();
        } catch (Throwable t) {
            System.err.println("opensearch node failed to start: " + t);
            t.printStackTrace();
            // halt: the shutdown hook would try to close a half-started node
            Runtime.getRuntime().halt(1);
        }
        System.out.println("sag-opensearch: node started, http on 127.0.0.1:" + port);
        System.out.flush();

        // Node threads are daemons: keep main alive until the JVM is told to stop.
        closed.await();
    }
}
