// Which librdkafka errors a retry can cure; part of the rdkafka_client
// wrapper (it includes rdkafka.h). See rdkafka_client.hpp.

#include "outputs/kafka/rdkafka_client.hpp"
#include "outputs/kafka/rdkafka_api.hpp"

namespace sluice::kafka {

ErrorClass classify(int code) {
  switch (static_cast<rd_kafka_resp_err_t>(code)) {
    case RD_KAFKA_RESP_ERR__QUEUE_FULL:
      return ErrorClass::QueueFull;
    // The record itself or its topic is refused: sending it again changes nothing.
    case RD_KAFKA_RESP_ERR_MSG_SIZE_TOO_LARGE:
    case RD_KAFKA_RESP_ERR_RECORD_LIST_TOO_LARGE:
    case RD_KAFKA_RESP_ERR__UNKNOWN_TOPIC:
    case RD_KAFKA_RESP_ERR_UNKNOWN_TOPIC_OR_PART:
    case RD_KAFKA_RESP_ERR__UNKNOWN_PARTITION:
    case RD_KAFKA_RESP_ERR_TOPIC_EXCEPTION:
    case RD_KAFKA_RESP_ERR_TOPIC_AUTHORIZATION_FAILED:
    case RD_KAFKA_RESP_ERR_INVALID_RECORD:
    case RD_KAFKA_RESP_ERR_INVALID_TIMESTAMP:
    case RD_KAFKA_RESP_ERR_POLICY_VIOLATION:
    case RD_KAFKA_RESP_ERR_UNSUPPORTED_FOR_MESSAGE_FORMAT:
    case RD_KAFKA_RESP_ERR__INVALID_ARG:
      return ErrorClass::Permanent;
    // Everything else is a broker, network or timing condition (brokers
    // down, leader moved, NOT_ENOUGH_REPLICAS, REQUEST_TIMED_OUT,
    // _MSG_TIMED_OUT after message.timeout.ms of librdkafka's own retries,
    // purged at shutdown) or a fatal producer error, after which the output
    // makes a new producer.
    default:
      return ErrorClass::Retry;
  }
}

bool is_fatal(int code) { return code == RD_KAFKA_RESP_ERR__FATAL; }

}  // namespace sluice::kafka
