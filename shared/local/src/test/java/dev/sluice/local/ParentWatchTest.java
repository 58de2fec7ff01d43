package dev.sluice.local;

import org.junit.jupiter.api.Test;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The emulators' child process (S3Mock) dies with the JVM that started it, even when that JVM is killed with -9. */
class ParentWatchTest {
    /** A JVM that starts the emulators, prints S3Mock's pid and waits to be killed. */
    public static final class EmulatorsThenWait {
        public static void main(String[] args) throws Exception {
            EmulatorStack stack = EmulatorStack.start();
            System.out.println("s3mock " + stack.s3MockPid());
            System.out.flush();
            Thread.sleep(Long.MAX_VALUE);
        }
    }

    @Test
    void s3Mock_diesWithItsParent_killedWithoutShutdownHooks() throws Exception {
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        Process parent = new ProcessBuilder(java, "-cp", System.getProperty("java.class.path"),
                EmulatorsThenWait.class.getName()).redirectErrorStream(true).start();
        try {
            long childPid = -1;
            BufferedReader out = new BufferedReader(new InputStreamReader(parent.getInputStream(), StandardCharsets.UTF_8));
            for (String line; (line = out.readLine()) != null; ) {
                if (line.startsWith("s3mock ")) {
                    childPid = Long.parseLong(line.substring(7).trim());
                    break;
                }
            }
            assertTrue(childPid > 0, "the parent started S3Mock");
            ProcessHandle child = ProcessHandle.of(childPid).orElseThrow();
            assertTrue(child.isAlive(), "S3Mock runs while its parent does");

            parent.destroyForcibly(); // SIGKILL: no shutdown hook runs in the parent
            assertTrue(parent.waitFor(2, TimeUnit.MINUTES));
            // a cap, not an expectation: the child halts as soon as it reads EOF on its stdin
            child.onExit().get(2, TimeUnit.MINUTES);
            assertFalse(child.isAlive(), "S3Mock died with its parent");
        } finally {
            parent.destroyForcibly();
        }
    }

    @Test
    void theWatchIsAddedAfterTheJavaBinary() {
        List<String> command = ParentWatch.watched(List.of("java", "-jar", "x.jar"));
        assertTrue(command.get(1).startsWith("-javaagent:") && command.get(1).endsWith(".jar"), command.toString());
        assertTrue(command.get(0).equals("java") && command.get(2).equals("-jar"), command.toString());
    }
}
