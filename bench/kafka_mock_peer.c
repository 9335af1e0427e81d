/* The kafka benchmark's broker: librdkafka's mock cluster (the Kafka protocol
 * on real TCP ports of 127.0.0.1) in its own process, so that its CPU and
 * memory are not sluice's. Usage: kafka_mock_peer BROKERS TOPIC PARTITIONS.
 * Prints the bootstrap servers on one line, then serves until stdin closes. */
#include <librdkafka/rdkafka.h>
#include <librdkafka/rdkafka_mock.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

static void quiet(const rd_kafka_t *rk, int level, const char *fac, const char *buf) {
  (void)rk, (void)level, (void)fac, (void)buf;
}

int main(int argc, char **argv) {
  if (argc != 4) {
    fprintf(stderr, "usage: %s BROKERS TOPIC PARTITIONS\n", argv[0]);
    return 2;
  }
  int brokers = atoi(argv[1]), partitions = atoi(argv[3]);
  char err[512];
  rd_kafka_conf_t *conf = rd_kafka_conf_new();
  rd_kafka_conf_set_log_cb(conf, quiet);
  rd_kafka_t *rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, err, sizeof err);
  if (!rk) {
    fprintf(stderr, "rd_kafka_new: %s\n", err);
    return 1;
  }
  rd_kafka_mock_cluster_t *mc = rd_kafka_mock_cluster_new(rk, brokers);
  if (!mc || rd_kafka_mock_topic_create(mc, argv[2], partitions, brokers) != RD_KAFKA_RESP_ERR_NO_ERROR) {
    fprintf(stderr, "could not start the mock cluster\n");
    return 1;
  }
  printf("%s\n", rd_kafka_mock_cluster_bootstraps(mc));
  fflush(stdout);
  char buf[256];
  while (read(0, buf, sizeof buf) > 0) {
  }
  rd_kafka_mock_cluster_destroy(mc);
  rd_kafka_destroy(rk);
  return 0;
}
