Feature: Delivery, processing retries and acknowledgement
  A request is acknowledged only after its outcome is written. When the executor itself
  cannot process an event it retries with backoff (RETRY_BASE_DELAY_MS doubling, at most
  RETRY_MAX_ATTEMPTS attempts), then dead-letters. A task that ran and failed is a proper
  outcome: one failed completion, no retry, no dead letter.

  Rule: a failed task is reported once, without retry or dead letter

    Scenario: a handler reports a failure
      Given a "wait" task "pause" with parameters '{"duration": "soon"}'
      When the executor processes it
      Then the task should fail with an error containing "invalid duration"
      And 1 completion should have been published
      And no dead letter should have been published
      And processing retries should have been recorded 0 times
      And the request should be acknowledged

  Rule: publication failures are retried with exponential backoff

    Scenario: publishing fails twice, then succeeds
      Given publishing to the stream fails 2 times
      And a "set" task "initialize" with parameters '{"ok": true}'
      When the executor processes it
      Then no completion should have been published yet
      And the request should still be pending
      When the clock advances by 199 ms
      Then no completion should have been published yet
      When the clock advances by 1 ms
      Then no completion should have been published yet
      When the clock advances by 399 ms
      Then no completion should have been published yet
      When the clock advances by 1 ms
      Then the task should succeed
      And processing retries should have been recorded 2 times
      And no dead letter should have been published
      And the request should be acknowledged
      And the acknowledgement should come after the publication

    Scenario: processing retries exhausted
      Given publishing to the stream fails 3 times
      And a "set" task "initialize" with parameters '{"ok": true}'
      When the executor processes it
      And the clock advances by 600 ms
      Then a dead letter should have been published with a reason containing "PUBLICATION_FAILED"
      And the dead letter should record 1 attempt
      And the task should fail with an error containing "could not publish the task completion"
      And the error should be of type "runtime" with status 500
      And the request should be acknowledged

    Scenario: the stream stays unavailable: nothing is acknowledged
      Given publishing to the stream fails 100 times
      And a "set" task "initialize" with parameters '{"ok": true}'
      When the executor processes it
      And the clock advances by 10 s
      Then no completion should have been published yet
      And no dead letter should have been published
      And the request should still be pending

  Rule: a task with a recorded outcome is not executed again

    Scenario: a redelivered request
      Given a "inject" task "once" with parameters '{"n": 1}'
      When the executor processes it
      And the same request is delivered again
      Then exactly one completion should exist for the task

  Rule: the executor never runs more tasks at once than its concurrency limit

    Scenario: five waits with concurrency 2
      Given the executor runs with concurrency 2
      And a "wait" task "pause" with parameters '{"duration": "PT1S"}'
      When 5 such tasks are submitted
      Then 2 tasks should be running
      When the clock advances by 1 s
      Then 2 completions should have been published
      When the clock advances by 2 s
      Then 5 completions should have been published
      And at most 2 tasks should have run at once

  Rule: shutdown stops reading and finishes in-flight tasks

    Scenario: graceful shutdown
      Given a "wait" task "pause" with parameters '{"duration": "PT5S"}'
      When the task is submitted
      And the executor is asked to shut down
      Then the shutdown should not have completed yet
      When the clock advances by 5 s
      Then the task should succeed
      And the request should be acknowledged
      And the shutdown should have completed

    Scenario: tasks still running at the shutdown deadline are cancelled and reported
      Given the setting EXECUTOR_SHUTDOWN_TIMEOUT is "10s"
      And a "wait" task "pause" with parameters '{"duration": "PT1H"}'
      When the task is submitted
      And the executor is asked to shut down
      And the clock advances by 10 s
      Then the task should fail with an error containing "executor shutting down"
      And the request should be acknowledged
      And the shutdown should have completed
