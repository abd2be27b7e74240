// Package schedule owns Ferry's schedules: rate(...) and cron(...)
// expressions that invoke a function asynchronously, as serverless.yml
// `schedule` events, SAM `Schedule` events and EventBridge rules with a
// ScheduleExpression do on AWS.
//
// Expressions follow EventBridge's syntax and are evaluated in UTC.
// rate(value unit) takes minute, hour or day, singular for a value of 1 and
// plural otherwise. cron(Minutes Hours Day-of-month Month Day-of-week Year)
// takes six fields with ',', '-', '*' and '/' (not '/' in Day-of-week), '?'
// in exactly one of Day-of-month and Day-of-week, L (last day of the month;
// in Day-of-week alone, Saturday; nL the last day n of the month), nW and LW
// (nearest weekday) in Day-of-month, n#k (k-th day n of the month, one
// expression only) in Day-of-week, JAN-DEC and SUN-SAT (1-7 = SUN-SAT), and
// years 1970-2199. Ranges of the cyclic fields may wrap (FRI-MON, 22-2).
// A bad expression is an EINVALID error naming the field and the problem.
//
// Each occurrence invokes the function with the EventBridge Scheduled Event
// ({"version":"0","id":...,"detail-type":"Scheduled Event","source":"aws.events",
// "account","time","region","resources":[rule ARN],"detail":{}}), or with the
// schedule's constant Input, or with the part of the event its InputPath
// selects.
//
// Durability and clusters: schedules live in the JetStream key-value bucket
// ferry_schedules and are watched, so they survive a restart and every node
// sees the same set. Every node runs the same timer, but only the holder of
// the schedule lease (bucket ferry_schedule_lease: holder node, expiry, and
// the latest occurrence it handed off) fires. The holder renews the lease
// every third of its TTL (Options.LeaseTTL, default 10 s) and stops firing a
// quarter TTL before its stored expiry when it cannot renew; any other node
// takes an expired or released lease over and first fires the occurrences
// after the previous holder's latest one. An occurrence is handed off before
// it is recorded in the lease, so after a holder's death one may be fired
// twice: the invoke carries a request id derived from the schedule name and
// the occurrence time (a name-based UUID), and the async engine's Msg-Id
// deduplication keeps exactly one event per occurrence. A rate counts from
// the moment its schedule was stored (or re-enabled, or given a new
// expression), an anchor kept in the bucket, so all nodes agree on its
// occurrence times. As on AWS there is no catch-up: occurrences that fell
// while Ferry was down are not fired (a new holder catches up at most three
// lease TTLs); a timer that wakes late (a suspended machine) fires the
// earliest missed occurrence once and skips the rest. Events the async
// engine refuses (an unknown function, an engine that is not running) are
// logged and dropped.
//
// One goroutine owned by the Service runs the timer for every schedule and
// applies bucket updates; Stop joins it. Options.Scale is Ferry's clock
// scale: it multiplies rate intervals (0.001 makes rate(1 minute) fire every
// 60 ms) and leaves cron, a wall-clock schedule, alone.
package schedule
