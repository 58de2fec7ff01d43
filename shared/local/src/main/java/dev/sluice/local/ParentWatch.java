package dev.sluice.local;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.jar.Attributes;
import java.util.jar.JarEntry;
import java.util.jar.JarOutputStream;
import java.util.jar.Manifest;

/**
 * Makes a child JVM die with its parent, however the parent dies (Ctrl-C, an exception, or {@code kill -9}, which
 * runs no shutdown hook): the child is started with this class as a Java agent, and the agent halts the child when its
 * standard input reaches end-of-file. The parent holds the write end of that pipe and never writes to it; when the
 * parent process ends, the operating system closes it, the child reads EOF and halts. Nothing polls, and no pid is
 * trusted (a pid can be reused). A watched child that should handle SIGTERM itself is signalled with
 * {@code process.toHandle().destroy()}: {@link Process#destroy()} closes the child's stdin right after the signal, and
 * the watch then halts the child at once.
 */
public final class ParentWatch {
    private static Path jar;

    private ParentWatch() {
    }

    /** The agent's entry point in the child: watch stdin on a daemon thread. */
    public static void premain(String args) {
        Thread watcher = new Thread(() -> {
            try (InputStream in = System.in) {
                byte[] buffer = new byte[256];
                while (in.read(buffer) >= 0) {
                    // the parent writes nothing; whatever comes is ignored
                }
            } catch (IOException e) {
                // a broken pipe is the parent gone, too
            }
            Runtime.getRuntime().halt(0);
        }, "sluice-parent-watch");
        watcher.setDaemon(true);
        watcher.start();
    }

    /**
     * The command of a child JVM with the watch added: {@code java} (the first element) then
     * {@code -javaagent:<this agent>} then the rest. Start it with stdin as a pipe (ProcessBuilder's default) and keep
     * the {@link Process} (its stdin) for as long as the child should live.
     */
    public static List<String> watched(List<String> javaCommand) {
        List<String> command = new ArrayList<>(javaCommand);
        command.add(1, "-javaagent:" + agentJar());
        return command;
    }

    /** This class as an agent jar, written once per JVM to a temporary file. */
    static synchronized Path agentJar() {
        if (jar != null && Files.isRegularFile(jar)) {
            return jar;
        }
        try {
            Path file = Files.createTempFile("sluice-parent-watch", ".jar");
            file.toFile().deleteOnExit();
            Manifest manifest = new Manifest();
            manifest.getMainAttributes().put(Attributes.Name.MANIFEST_VERSION, "1.0");
            manifest.getMainAttributes().putValue("Premain-Class", ParentWatch.class.getName());
            String entry = ParentWatch.class.getName().replace('.', '/') + ".class";
            try (OutputStream out = Files.newOutputStream(file); JarOutputStream jarOut = new JarOutputStream(out, manifest);
                 InputStream classBytes = ParentWatch.class.getClassLoader().getResourceAsStream(entry)) {
                if (classBytes == null) {
                    throw new IllegalStateException("cannot read " + entry + " from the classpath");
                }
                jarOut.putNextEntry(new JarEntry(entry));
                classBytes.transferTo(jarOut);
                jarOut.closeEntry();
            }
            jar = file;
            return file;
        } catch (IOException e) {
            throw new UncheckedIOException("writing the parent-watch agent", e);
        }
    }
}
