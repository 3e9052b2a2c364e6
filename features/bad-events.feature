Feature: Events that cannot be executed
  Bad input gets a clear error and loses nothing: the event is dead-lettered with its reason
  and raw payload, acknowledged, and, when the task can be identified, a failed completion
  is published so that the flunq workflow does not hang.

  Rule: an unknown or missing task type is dead-lettered and reported as a failed completion

    Scenario: unknown task type
      Given a "teleport" task "beamUp"
      When the executor processes it
      Then a dead letter should have been published with a reason containing "unsupported task type: teleport"
      And the dead letter should copy the request identity
      And the dead letter should record 1 attempt
      And the task should fail with an error containing "unsupported task type: teleport"
      And the error should be of type "validation" with status 400
      And the error code should be "UNKNOWN_TASK_TYPE"
      And the request should be acknowledged
      And the acknowledgement should come after the publication

    Scenario: missing task type
      Given a task "mystery" without a task type
      When the executor processes it
      Then a dead letter should have been published with a reason containing "task has no task_type"
      And the task should fail with an error containing "task has no task_type"
      And the request should be acknowledged

  Rule: a malformed payload is dead-lettered byte for byte and the executor keeps running

    Scenario: data that is not JSON
      When an event arrives with data "{not json"
      Then a dead letter should have been published with a reason containing "event data is not valid JSON"
      And the dead letter should keep the original data "{not json"
      And the request should be acknowledged
      And the task should fail with an error containing "not valid JSON"
      And the error code should be "MALFORMED_EVENT"
      And the executor should still be running

    Scenario: data that is JSON but not an object
      When an event arrives with data "[1,2,3]"
      Then a dead letter should have been published with a reason containing "not a JSON object"
      And the dead letter should keep the original data "[1,2,3]"
      And the request should be acknowledged

    Scenario: an event without data
      When an event arrives without data
      Then a dead letter should have been published with a reason containing "event has no data field"
      And the dead letter should have no data field
      And the request should be acknowledged

  Rule: an entry larger than EXECUTOR_MAX_ENTRY_BYTES is dead-lettered without being parsed or stored twice

    Scenario: an oversize request
      Given the setting EXECUTOR_MAX_ENTRY_BYTES is "4096"
      When an event arrives whose data is 5000 bytes of text that is not JSON
      Then a dead letter should have been published with a reason containing "ENTRY_TOO_LARGE: request message is"
      And the dead letter reason should contain "more than the limit of 4096 bytes"
      And the dead letter should leave the data out and name the request entry that keeps it
      And the task should fail with an error containing "more than the limit of 4096 bytes"
      And the error code should be "ENTRY_TOO_LARGE"
      And the request should be acknowledged
      And the executor should still be running

  Rule: data nested deeper than EXECUTOR_MAX_JSON_DEPTH is a malformed event

    Scenario: input nested 100,000 levels deep
      When an event arrives whose input is nested 100000 levels deep
      Then a dead letter should have been published with a reason containing "nesting-depth limit of 256 levels"
      And the task should fail with an error containing "nesting-depth limit of 256 levels"
      And the error code should be "MALFORMED_EVENT"
      And the request should be acknowledged
      And the executor should still be running

  Rule: entries that are not task requests are acknowledged at once and left alone

    Scenario: another service's event
      When an entry of type "io.flunq.execution.started" arrives
      Then 0 completions should have been published
      And no dead letter should have been published
      And the request should be acknowledged

  Rule: a dead letter that is replayed runs again and is reported again

    Scenario: a replayed request that still cannot run is dead-lettered and reported once more
      Given a "teleport" task "beamUp"
      When the executor processes it
      And the dead letter is replayed
      Then 2 dead letters should have been published
      And 2 failed completions should have been published for the task
      And the request should be acknowledged

  Rule: the content of a malformed payload never reaches the reason, the error or the logs

    Scenario: a malformed payload holding a token
      When an event arrives with data '{"token": SUPERSECRET-TOKEN-123'
      Then a dead letter should have been published with a reason containing "event data is not valid JSON"
      And the dead letter should keep the original data '{"token": SUPERSECRET-TOKEN-123'
      And nothing published should contain "SUPERSEC"
      And no log line should contain "SUPERSEC"
