// Traces (OpenTelemetry), on when OTEL_EXPORTER_OTLP_ENDPOINT (or OTEL_EXPORTER_OTLP_TRACES_ENDPOINT) is set, and
// then exported over OTLP/HTTP; off otherwise, and then nothing here is installed. One trace follows a webhook:
// the API's request span → the signal (the Temporal client's interceptor puts the span into the signal's headers)
// → the workflow's handling of it → the activities it runs for it and the recording's workflow it starts (the meeting
// workflow applies an event in the context it arrived in: workflows/meeting.ts) → that workflow's activities, to the
// transcript. Spans of workflow code are exported by the worker (a sink), never during replay.
import { createRequire } from 'node:module';
import { context, propagation, SpanKind, SpanStatusCode, trace, type Context } from '@opentelemetry/api';
import { NodeTracerProvider } from '@opentelemetry/sdk-trace-node';
import { BatchSpanProcessor, type SpanProcessor } from '@opentelemetry/sdk-trace-base';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { Resource } from '@opentelemetry/resources';
import {
  OpenTelemetryActivityInboundInterceptor,
  OpenTelemetryActivityOutboundInterceptor,
  OpenTelemetryWorkflowClientInterceptor,
  makeWorkflowExporter,
} from '@temporalio/interceptors-opentelemetry';
import type { WorkflowClientInterceptor } from '@temporalio/client';
import type { WorkerOptions } from '@temporalio/worker';
import type Koa from 'koa';

export interface TracingConfig {
  /** Where spans go: the OTLP/HTTP traces URL (`<OTEL_EXPORTER_OTLP_ENDPOINT>/v1/traces`). */
  tracesUrl: string;
  /** `service.name` of this process's spans (OTEL_SERVICE_NAME). */
  serviceName: string;
}

export interface Tracing {
  /** For every Temporal client of the process: starts, signals and updates carry the caller's span. */
  clientInterceptors: WorkflowClientInterceptor[];
  /** Bundled with the workflow code (bundleWorkflowCode's workflowInterceptorModules). */
  workflowModules: string[];
  /** For each worker: activity spans, and the sink that exports the workflows' spans. */
  workerOptions: Pick<WorkerOptions, 'interceptors' | 'sinks'>;
  /** The API's first middleware: one server span per request, named by its route (never by its path: paths carry ids and tokens). */
  requestSpans: Koa.Middleware;
  /** Sends what is buffered (a process stopping, a test reading the receiver). */
  flush(): Promise<void>;
}

let installed: { config: TracingConfig; tracing: Tracing } | undefined;

/** Installs tracing for this process (once: the provider is global); a second call with the same config returns it. */
export function startTracing(config: TracingConfig): Tracing {
  if (installed) {
    if (installed.config.tracesUrl !== config.tracesUrl) throw new Error(`Tracing is already exporting to ${installed.config.tracesUrl} in this process`);
    return installed.tracing;
  }
  const resource = new Resource({ 'service.name': config.serviceName });
  const spanProcessor: SpanProcessor = new BatchSpanProcessor(new OTLPTraceExporter({ url: config.tracesUrl }), { scheduledDelayMillis: 1000 });
  const provider = new NodeTracerProvider({ resource, spanProcessors: [spanProcessor] });
  provider.register(); // the global tracer provider, AsyncLocalStorage context and W3C trace-context propagation
  const tracer = trace.getTracer('meeting-recorder');
  const tracing: Tracing = {
    clientInterceptors: [new OpenTelemetryWorkflowClientInterceptor()],
    workflowModules: [createRequire(import.meta.url).resolve('@temporalio/interceptors-opentelemetry/lib/workflow-interceptors')],
    workerOptions: {
      interceptors: { activity: [(ctx) => ({ inbound: new OpenTelemetryActivityInboundInterceptor(ctx), outbound: new OpenTelemetryActivityOutboundInterceptor(ctx) })] },
      sinks: { exporter: makeWorkflowExporter(spanProcessor, resource) },
    },
    requestSpans: async (ctx, next) => {
      const parent: Context = propagation.extract(context.active(), ctx.headers);
      await tracer.startActiveSpan(`${ctx.method}`, { kind: SpanKind.SERVER, attributes: { 'http.request.method': ctx.method } }, parent, async (span) => {
        try {
          await next();
        } catch (error) {
          span.recordException(error as Error);
          throw error;
        } finally {
          const route = (ctx as Koa.Context & { _matchedRoute?: string })._matchedRoute;
          if (typeof route === 'string') {
            span.updateName(`${ctx.method} ${route}`);
            span.setAttribute('http.route', route);
          }
          // The status the error middleware (inside this one) set; a thrown error is a 500.
          const status = ctx.status;
          span.setAttribute('http.response.status_code', status);
          if (status >= 500) span.setStatus({ code: SpanStatusCode.ERROR });
          span.end();
        }
      });
    },
    flush: () => provider.forceFlush(),
  };
  installed = { config, tracing };
  return tracing;
}
