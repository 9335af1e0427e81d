// The `splunk` output's keys (Fluent Bit's) and factory; see splunk_output.hpp.
#include "outputs/splunk/splunk_output.hpp"

#include "agent/config/compat_keys.hpp"
#include "outputs/common/http_sink.hpp"
#include "outputs/splunk/splunk_codec.hpp"

namespace sluice {

const config::PluginSchema& splunk_output_schema() {
  using config::KeyType;
  static const config::PluginSchema s = [] {
    config::PluginSchema schema{
        "splunk",
        "Sends records to Splunk's HTTP Event Collector (HEC, /services/collector/event), as Fluent Bit's splunk "
        "output does: one event per record with its time, host, source, sourcetype, index and indexed fields.",
        {
            {"splunk_token", KeyType::String, "",
             "The HEC token, sent as `Authorization: Splunk <token>` (unless http_user and http_passwd are set).",
             false, true},
            {"channel", KeyType::String, "",
             "A channel id (a GUID) sent as X-Splunk-Request-Channel, which tokens with indexer acknowledgement need.",
             false, false, {}},
            {"event_key", KeyType::String, "",
             "Send only this part of the record ($key or $key['sub']) as the event, as text; a record without it "
             "is sent whole.",
             false, false, {}},
            {"event_host", KeyType::String, "", "The event's host: text, $key or both (e.g. $kubernetes['host']).",
             false, false, {}},
            {"event_source", KeyType::String, "", "The event's source: text, $key or both.", false, false, {}},
            {"event_sourcetype", KeyType::String, "", "The event's sourcetype.", false, false, {}},
            {"event_sourcetype_key", KeyType::String, "",
             "The sourcetype from the record ($key); when it gives one, it wins over event_sourcetype.", false, false,
             {}},
            {"event_index", KeyType::String, "", "The index to write to (the token's default index otherwise).", false,
             false, {}},
            {"event_index_key", KeyType::String, "",
             "The index from the record ($key); when it gives one, it wins over event_index.", false, false, {}},
            {"event_field", KeyType::Multi, "",
             "NAME $key: an indexed field NAME with the record's value (repeat for several).", false, false, {}},
            {"splunk_send_raw", KeyType::Bool, "off",
             "Send each record as it is (it must be a HEC event itself: {\"event\": ...}), without time, host or "
             "the other fields.",
             false, false, {}},
            {"auto_extract_timestamp", KeyType::Bool, "off",
             "Send no time: HEC takes it from the event's text (?auto_extract_timestamp=true).", false, false, {}},
            config::compat_note("http_buffer_size", KeyType::String,
                                "answers are read whole; the reason of a refusal is logged and dead-lettered."),
            config::compat_note("http_debug_bad_request", KeyType::Bool,
                                "a refused record is dead-lettered with HEC's reason (sluice dead-letters --list)."),
        }};
    for (auto& k : http::http_output_keys("8088")) schema.keys.push_back(std::move(k));
    return schema;
  }();
  return s;
}

std::unique_ptr<Output> make_splunk_output(const config::ComponentConfig& cfg, const BuildContext& ctx) {
  splunk::Settings s;
  s.http = http::read_http_output_settings(cfg, ctx.base_dir);
  bool basic = false;
  for (const auto& h : s.http.headers) basic = basic || h.name == "Authorization";
  std::string token = http::read_header_value(cfg, "splunk_token");
  if (!basic && !cfg.get_string("http_user").empty() && cfg.get_string("http_passwd").empty())
    cfg.fail("http_passwd", "http_user needs http_passwd for HEC's basic authentication");
  if (!basic && token.empty())
    cfg.fail("splunk_token", "either splunk_token or http_user and http_passwd must be set (the HEC token)");
  if (!basic) s.http.headers.push_back({"Authorization", "Splunk " + token});
  if (std::string channel = http::read_header_value(cfg, "channel"); !channel.empty())
    s.http.headers.push_back({"X-Splunk-Request-Channel", channel});
  s.send_raw = cfg.get_bool("splunk_send_raw");
  s.auto_extract_timestamp = cfg.get_bool("auto_extract_timestamp");
  if (s.auto_extract_timestamp) s.target += "?auto_extract_timestamp=true";
  s.event_key = read_accessor_key(cfg, "event_key");
  s.event_host = read_template_key(cfg, "event_host");
  s.event_source = read_template_key(cfg, "event_source");
  s.event_sourcetype = cfg.get_string("event_sourcetype");
  s.event_sourcetype_key = read_template_key(cfg, "event_sourcetype_key");
  s.event_index = cfg.get_string("event_index");
  s.event_index_key = read_template_key(cfg, "event_index_key");
  for (const auto& rule : cfg.get_list("event_field")) {
    // NAME, blanks, then the accessor (Fluent Bit's slist of two).
    size_t space = rule.find_first_of(" \t");
    size_t start = space == std::string::npos ? std::string::npos : rule.find_first_not_of(" \t", space);
    if (start == std::string::npos || rule[start] != '$')
      cfg.fail("event_field", "expected 'NAME $key' (the field's name and a record accessor), got '" + rule + "'");
    std::string error;
    auto accessor = RecordAccessor::compile(rule.substr(start), &error);
    if (!accessor) cfg.fail("event_field", error);
    s.event_fields.emplace_back(rule.substr(0, space), std::move(*accessor));
  }
  http::ClientSettings client = s.http.client;
  return std::make_unique<http::HttpSink>(std::move(client), std::make_unique<splunk::Codec>(std::move(s)));
}

}  // namespace sluice
