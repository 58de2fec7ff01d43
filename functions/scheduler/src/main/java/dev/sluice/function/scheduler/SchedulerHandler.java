package dev.sluice.function.scheduler;

import com.amazonaws.services.lambda.runtime.Context;
import com.amazonaws.services.lambda.runtime.RequestHandler;
import dev.sluice.core.Json;
import dev.sluice.core.schedule.Scheduler;
import jakarta.inject.Inject;
import jakarta.inject.Named;

import java.util.Map;

/**
 * EventBridge schedule (every minute): times out, finishes and fails jobs; see {@link Scheduler}. The event is read as
 * a plain map: its content does not matter, only that it arrived.
 */
@Named("scheduler")
public class SchedulerHandler implements RequestHandler<Map<String, Object>, String> {
    private final Scheduler scheduler;

    @Inject
    public SchedulerHandler(Scheduler scheduler) {
        this.scheduler = scheduler;
    }

    @Override
    public String handleRequest(Map<String, Object> event, Context context) {
        try (var scope = dev.sluice.aws.observe.Invocations.scope(context)) {
            return Json.write(scheduler.sweep());
        }
    }
}
