// Every output sluice knows, by name. A new output adds one line here.
#include "outputs/registry.hpp"

#include "outputs/file/file_output.hpp"
#include "outputs/null/null_output.hpp"
#include "outputs/stdout/stdout_output.hpp"
#include "outputs/http/http_output.hpp"
#include "outputs/es/es_output.hpp"
#include "outputs/loki/loki_output.hpp"
#include "outputs/gelf/gelf_output.hpp"
#include "outputs/cloudwatch/cloudwatch_output.hpp"
#include "outputs/google/google_output.hpp"
#include "outputs/logdna/logdna_output.hpp"
#include "outputs/azure/azure_output.hpp"
#include "outputs/ibm/ibm_output.hpp"
#include "outputs/oci/oci_output.hpp"
#include "outputs/kafka/kafka_output.hpp"
#include "outputs/forward/forward_output.hpp"
#include "outputs/splunk/splunk_output.hpp"
#include "outputs/opentelemetry/opentelemetry_output.hpp"
#include "outputs/datadog/datadog_output.hpp"

namespace sluice {

const std::vector<OutputPlugin>& output_plugins() {
  static const std::vector<OutputPlugin> plugins = {
      {"stdout", stdout_output_schema, make_stdout_output},
      {"file", file_output_schema, make_file_output},
      {"null", null_output_schema, make_null_output},
      {"http", http_output_schema, make_http_output},
      {"es", es_output_schema, make_es_output},
      {"opensearch", opensearch_output_schema, make_es_output},
      {"loki", loki_output_schema, make_loki_output},
      {"gelf", gelf_output_schema, make_gelf_output},
      {"cloudwatch_logs", cloudwatch_output_schema, make_cloudwatch_output},
      {"google_cloud_logging", google_cloud_logging_schema, make_google_cloud_logging_output},
      {"stackdriver", stackdriver_schema, make_google_cloud_logging_output},
      {"logdna", logdna_output_schema, make_logdna_output},
      {"azure_logs_ingestion", azure_logs_ingestion_schema, make_azure_logs_ingestion_output},
      {"azure", azure_retired_schema, make_azure_retired_output},
      {"ibm_cloud_logs", ibm_cloud_logs_schema, make_ibm_cloud_logs_output},
      {"oci_logging", oci_logging_schema, make_oci_logging_output},
      {"kafka", kafka_output_schema, make_kafka_output},
      {"forward", forward_output_schema, make_forward_output},
      {"splunk", splunk_output_schema, make_splunk_output},
      {"opentelemetry", opentelemetry_output_schema, make_opentelemetry_output},
      {"datadog", datadog_output_schema, make_datadog_output},
  };
  return plugins;
}

}  // namespace sluice
