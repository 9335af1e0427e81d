// librdkafka, loaded when the first kafka output is configured (dlopen of
// librdkafka.so.1), not linked: linked, it and the libraries it needs (SASL,
// zstd, lz4) cost every sluice ~0.75 MB of resident memory at start, kafka
// output or not, and the sidecar's budget is 7 MB (issue 12).
// Included by rdkafka_client.cpp and kafka_errors.cpp only.
#pragma once
#include <librdkafka/rdkafka.h>

#include <string>

namespace sluice::kafka {

// The librdkafka functions sluice calls (members named as the functions).
struct RdkafkaApi {
#define SLUICE_RDKAFKA_FUNCTIONS(X)                                                                             \
  X(conf_destroy) X(conf_new) X(conf_set) X(conf_set_dr_msg_cb) X(conf_set_error_cb) X(conf_set_log_cb)        \
  X(conf_set_opaque) X(conf_set_stats_cb) X(destroy) X(err2name) X(err2str) X(fatal_error) X(flush)             \
  X(last_error) X(new) X(opaque) X(outq_len) X(poll) X(produce_batch) X(purge) X(queue_destroy) X(queue_get_main)    \
  X(queue_io_event_enable) X(topic_destroy) X(topic_new) X(version_str)
#define SLUICE_RDKAFKA_POINTER(name) decltype(&::rd_kafka_##name) rd_kafka_##name = nullptr;
  SLUICE_RDKAFKA_FUNCTIONS(SLUICE_RDKAFKA_POINTER)
#undef SLUICE_RDKAFKA_POINTER
};

// The loaded library; throws std::runtime_error saying what is missing
// (the package to install) when it can't be loaded. Loaded once, kept.
const RdkafkaApi& rdkafka();

}  // namespace sluice::kafka
