Feature: Fair dispatch across tenants
  When every slot is taken by one tenant's slow work, the next free slot goes to the tenant
  furthest below its fair share, not to whoever's task was read first. A tenant alone gets every
  slot; weights, caps and a per-workflow cap shape the shares; a request's priority orders a
  tenant's own work. The executor reads ahead only a bounded number of tasks, and keeps those
  alive while they wait.

  Rule: a free slot goes to the tenant furthest below its fair share

    Scenario: a small tenant's task takes the next free slot ahead of a busy tenant's backlog
      Given the executor runs with concurrency 4
      When tenant "busy" submits 20 "wait" tasks of 2 s over 4 workflows
      Then tenant "busy" should have 4 tasks running
      When tenant "small" submits 1 "set" task
      And the clock advances by 2 s
      Then tenant "small" should have 1 task completed
      And tenant "busy" should have 4 tasks completed

    Scenario: a tenant arriving while another holds every slot starts one task at once, beyond the slots
      Given the executor runs with concurrency 4
      When tenant "busy" submits 20 "wait" tasks of 2 s over 4 workflows
      Then tenant "busy" should have 4 tasks running
      When tenant "small" submits 3 "wait" tasks of 2 s over 1 workflow
      Then tenant "small" should have 1 task running
      And tenant "busy" should have 4 tasks running

    Scenario: without fair dispatch the small tenant's task waits behind the whole backlog
      Given the executor runs with concurrency 4
      And the setting EXECUTOR_FAIR_DISPATCH is "false"
      When tenant "busy" submits 20 "wait" tasks of 2 s over 4 workflows
      And tenant "small" submits 1 "set" task
      And the clock advances by 4 s
      Then tenant "small" should have 0 tasks completed
      And tenant "busy" should have 8 tasks completed

    Scenario: two busy tenants share the slots equally
      Given the executor runs with concurrency 4
      When these tasks are submitted at once:
        | tenant | tasks | type | seconds | workflows |
        | alpha  | 20    | wait | 2       | 2         |
        | beta   | 20    | wait | 2       | 2         |
      Then tenant "alpha" should have 2 tasks running
      And tenant "beta" should have 2 tasks running
      And the metrics should show tenant "alpha" with 2 running and a share of 2

    Scenario: a tenant alone gets every slot
      Given the executor runs with concurrency 4
      When tenant "solo" submits 10 "wait" tasks of 2 s over 1 workflow
      Then tenant "solo" should have 4 tasks running
      When the clock advances by 6 s
      Then tenant "solo" should have 10 tasks completed

  Rule: weights and caps shape the shares

    Scenario: slots are shared in proportion to the weights
      Given the executor runs with concurrency 4
      And the setting EXECUTOR_TENANT_SHARES is "alpha=3,*=1"
      When these tasks are submitted at once:
        | tenant | tasks | type | seconds | workflows |
        | alpha  | 20    | wait | 2       | 4         |
        | beta   | 20    | wait | 2       | 4         |
      Then tenant "alpha" should have 3 tasks running
      And tenant "beta" should have 1 task running

    Scenario: a capped tenant never runs more than its cap, even with slots free
      Given the executor runs with concurrency 4
      And the setting EXECUTOR_TENANT_SHARES is "alpha=1:cap=1"
      When tenant "alpha" submits 5 "wait" tasks of 2 s over 5 workflows
      Then tenant "alpha" should have 1 task running
      When the clock advances by 2 s
      Then tenant "alpha" should have 1 task completed

    Scenario: one runaway workflow cannot take its tenant's whole share
      Given the executor runs with concurrency 4
      And the setting EXECUTOR_WORKFLOW_CAP is "1"
      When these tasks are submitted at once:
        | tenant | tasks | type | seconds | workflows |
        | alpha  | 10    | wait | 2       | 1         |
        | alpha  | 1     | wait | 2       | 1         |
      Then tenant "alpha" should have 2 tasks running

  Rule: a request's priority orders its tenant's own work

    Scenario: an urgent task overtakes its tenant's batch work
      Given the executor runs with concurrency 1
      And the setting EXECUTOR_READ_AHEAD is "8"
      When tenant "alpha" submits the "wait" tasks "batch-1, batch-2, batch-3" of 1 s with priority "5"
      And tenant "alpha" submits the "wait" tasks "urgent" of 1 s with priority "1"
      And the clock advances by 4 s
      Then the tasks of tenant "alpha" should have completed in the order "batch-1, urgent, batch-2, batch-3"

    Scenario: a priority that is not 1 to 5 counts as the default, 3
      Given the executor runs with concurrency 1
      And the setting EXECUTOR_READ_AHEAD is "8"
      When tenant "alpha" submits the "wait" tasks "first" of 1 s with priority "3"
      And tenant "alpha" submits the "wait" tasks "normal" of 1 s with priority "3"
      And tenant "alpha" submits the "wait" tasks "bogus" of 1 s with priority "urgent"
      And tenant "alpha" submits the "wait" tasks "later" of 1 s with priority "4"
      And the clock advances by 4 s
      Then the tasks of tenant "alpha" should have completed in the order "first, normal, bogus, later"

  Rule: read-ahead is bounded, and what waits is kept alive

    Scenario: at most the read-ahead waits for a slot; the rest stays in the inbox
      Given the executor runs with concurrency 2
      And the setting EXECUTOR_READ_AHEAD is "2"
      When tenant "busy" submits 20 "wait" tasks of 2 s over 10 workflows
      Then tenant "busy" should have 2 tasks running
      And at most 2 tasks should be waiting for a slot
      And at least 16 tasks should still be unread

    Scenario: a task waiting for a slot is not left to be redelivered
      Given the executor runs with concurrency 1
      And the setting EXECUTOR_RECLAIM_IDLE is "3s"
      When tenant "busy" submits 3 "wait" tasks of 10 s over 1 workflow
      And the clock advances by 9 s
      Then 1 task should be waiting for a slot
      And no task read should have gone unrenewed for 3 s or more
