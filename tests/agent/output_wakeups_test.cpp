// The rules for waking an output's worker (agent/output_wakeups.hpp), as
// tables; their effect on a running OutputRunner is in output_runner_test.cpp.
#include <catch2/catch.hpp>

#include "agent/output_wakeups.hpp"

namespace SLUICE_UNITY_ID {

using namespace sluice;

TEST_CASE("the flush timer is armed only while records wait and a worker is free", "[output_wakeups]") {
  CHECK_FALSE(flush_timer_needed(/*queue_empty=*/true, /*in_flight=*/0, /*workers=*/1, /*holding=*/false));  // nothing to time
  CHECK(flush_timer_needed(false, 0, 1, false));
  CHECK(flush_timer_needed(false, 1, 2, false));
  CHECK_FALSE(flush_timer_needed(false, 1, 1, false));  // every worker busy: the answer runs the queue
  CHECK_FALSE(flush_timer_needed(true, 1, 1, false));
  CHECK_FALSE(flush_timer_needed(false, 0, 1, true));  // backing off: the end of the pause runs the queue
}

TEST_CASE("the worker takes in its inbox unwoken while a timer or every worker's answer is due", "[output_wakeups]") {
  CHECK(collects_inbox_later(/*timer_armed=*/true, /*in_flight=*/0, /*workers=*/1, /*holding=*/false));
  CHECK(collects_inbox_later(false, 1, 1, false));
  CHECK(collects_inbox_later(false, 2, 2, false));
  CHECK(collects_inbox_later(false, 1, 2, true));   // the probe is out: its answer runs the queue
  CHECK_FALSE(collects_inbox_later(false, 0, 1, false));  // asleep with nothing due: a chunk must wake it
  CHECK_FALSE(collects_inbox_later(false, 1, 2, false));  // a free worker and no timer
}

TEST_CASE("a chunk wakes the worker only if nothing else will, or a batch that can go or the buffer is full",
          "[output_wakeups]") {
  OutputSettings s;
  s.batch_max_records = 100;
  s.batch_max_bytes = 1000;
  s.mem_buf_limit = 5000;
  SECTION("nothing else will run the queue: always") {
    CHECK(wake_needed(false, false, Pending{1, 10, 10}, s));
  }
  SECTION("a timer or an answer will: only for a full batch or buffer") {
    CHECK_FALSE(wake_needed(true, false, Pending{1, 10, 10}, s));
    CHECK_FALSE(wake_needed(true, false, Pending{99, 999, 5000}, s));
    CHECK(wake_needed(true, false, Pending{100, 10, 10}, s));
    CHECK(wake_needed(true, false, Pending{1, 1000, 1000}, s));
    CHECK(wake_needed(true, false, Pending{1, 10, 5001}, s));  // drop_oldest trims on the worker
  }
  SECTION("no request can start (workers busy, or backing off): a full batch waits, a full buffer still wakes") {
    CHECK_FALSE(wake_needed(true, true, Pending{100, 10, 10}, s));
    CHECK_FALSE(wake_needed(true, true, Pending{1, 1000, 1000}, s));
    CHECK(wake_needed(true, true, Pending{1, 10, 5001}, s));
  }
}

}  // namespace SLUICE_UNITY_ID
