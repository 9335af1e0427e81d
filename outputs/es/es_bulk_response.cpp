// Sorting Elasticsearch answers; see es_bulk_response.hpp.
#include "outputs/es/es_bulk_response.hpp"

#include <simdjson.h>

#include "outputs/common/http_output_config.hpp"

namespace sluice::es {

namespace od = simdjson::ondemand;

namespace {

// Answers above this size don't keep simdjson's buffers (several times the
// answer) alive after they were read.
constexpr size_t kRetainBytes = 256 * 1024;

std::string describe(int status, std::string_view type, std::string_view reason) {
  std::string out = std::to_string(status);
  if (!type.empty()) {
    out += ' ';
    out += type;
  }
  if (!reason.empty()) {
    out += type.empty() ? " " : ": ";
    out += reason;
  }
  return out;
}

}  // namespace

ItemOutcome classify_item(int status, std::string_view type, std::string_view reason, bool own_id, bool update) {
  ItemOutcome o;
  if (status >= 200 && status < 300) return o;
  if (status == 409 && own_id) {
    o.duplicate = true;
    return o;
  }
  o.reason = describe(status, type, reason);
  bool blocked = status == 403 && type == "cluster_block_exception";
  // An update that met a concurrent change of its document: the next try
  // applies to the new version.
  bool conflict = update && status == 409;
  o.outcome = (status == 408 || status == 429 || status >= 500 || blocked || conflict) ? Outcome::Retry
                                                                                       : Outcome::Permanent;
  return o;
}

RequestOutcome classify_request(const http::Response& response) {
  RequestOutcome o;
  if (response.status >= 200 && response.status < 300) return o;
  if (response.status == 413) {
    o.verdict = RequestVerdict::Split;
    o.reason = "413 request entity too large";
    return o;
  }
  FlushResult generic = http::classify_response(response);
  o.reason = std::move(generic.reason);
  o.retry_after = generic.retry_after;
  o.verdict = generic.outcome == Outcome::Retry ? RequestVerdict::Retry : RequestVerdict::Permanent;
  // A read-only cluster (flood-stage disk watermark) answers 403 until an
  // operator frees space: that passes, unlike a missing privilege.
  if (response.status == 403 && response.body.find("cluster_block_exception") != std::string::npos)
    o.verdict = RequestVerdict::Retry;
  return o;
}

struct BulkResponseParser::Impl {
  od::parser parser;

  // "items": [...], item i answering sent item i.
  bool read_items(od::value value, std::span<const BulkItem> items, std::vector<ItemOutcome>& out, std::string* error) {
    od::array array;
    if (value.get_array().get(array) != simdjson::SUCCESS) return fail(error, "\"items\" is not an array");
    for (auto item_result : array) {
      od::value item;
      if (std::move(item_result).get(item) != simdjson::SUCCESS) return fail(error, "bad JSON in \"items\"");
      if (out.size() >= items.size())
        return fail(error, "more items in the answer than were sent (" + std::to_string(items.size()) + ")");
      const BulkItem& sent = items[out.size()];
      if (!read_item(item, sent, out.emplace_back(), error)) return false;
    }
    return true;
  }

  // One item: {"<action>": {"status": 201, "error": {"type", "reason", "caused_by"}, ...}}.
  bool read_item(od::value item, const BulkItem& sent, ItemOutcome& out, std::string* error) {
    od::object wrapper;
    if (item.get_object().get(wrapper) != simdjson::SUCCESS) return fail(error, "an item is not an object");
    int64_t status = -1;
    std::string type, reason;
    for (auto action_result : wrapper) {
      od::field action;
      if (std::move(action_result).get(action) != simdjson::SUCCESS) return fail(error, "bad item");
      od::object body;
      if (action.value().get_object().get(body) != simdjson::SUCCESS) return fail(error, "an item's action is not an object");
      for (auto field_result : body) {
        od::field field;
        std::string_view key;
        if (std::move(field_result).get(field) != simdjson::SUCCESS || field.unescaped_key().get(key) != simdjson::SUCCESS)
          return fail(error, "bad item field");
        if (key == "status") {
          if (field.value().get_int64().get(status) != simdjson::SUCCESS) return fail(error, "an item's status is not a number");
        } else if (key == "error") {
          if (!read_error(field.value(), type, reason)) return fail(error, "an item's error is neither object nor string");
        }
      }
    }
    if (status < 100 || status > 599) return fail(error, "an item has no status");
    out = classify_item(static_cast<int>(status), type, reason, sent.own_id, sent.update);
    return true;
  }

  // {"type","reason","caused_by":{"type","reason"}} or, from old versions, a string.
  static bool read_error(od::value value, std::string& type, std::string& reason) {
    od::json_type kind;
    if (value.type().get(kind) != simdjson::SUCCESS) return false;
    if (kind == od::json_type::string) {
      std::string_view s;
      if (value.get_string().get(s) != simdjson::SUCCESS) return false;
      reason.assign(s);
      return true;
    }
    od::object object;
    if (value.get_object().get(object) != simdjson::SUCCESS) return false;
    std::string cause_type, cause_reason;
    for (auto field_result : object) {
      od::field field;
      std::string_view key;
      if (std::move(field_result).get(field) != simdjson::SUCCESS || field.unescaped_key().get(key) != simdjson::SUCCESS)
        return false;
      std::string_view s;
      if (key == "type" && field.value().get_string().get(s) == simdjson::SUCCESS) {
        type.assign(s);
      } else if (key == "reason" && field.value().get_string().get(s) == simdjson::SUCCESS) {
        reason.assign(s);
      } else if (key == "caused_by") {
        read_error(field.value(), cause_type, cause_reason);
      }
    }
    // The cause often says what was wrong ("For input string: \"abc\"").
    if (!cause_type.empty() || !cause_reason.empty())
      reason += " (caused by " + cause_type + (cause_reason.empty() ? "" : ": " + cause_reason) + ")";
    return true;
  }

  static bool fail(std::string* error, std::string_view why) {
    *error = why;
    return false;
  }
};

BulkResponseParser::BulkResponseParser() : impl_(std::make_unique<Impl>()) {}
BulkResponseParser::~BulkResponseParser() = default;

BulkParse BulkResponseParser::parse(std::string& body, std::span<const BulkItem> items, std::vector<ItemOutcome>& out,
                                    std::string* error) {
  struct Release {
    Impl& impl;
    size_t size;
    ~Release() {
      if (size > kRetainBytes) impl.parser = od::parser();
    }
  } release{*impl_, body.size()};

  if (body.capacity() < body.size() + simdjson::SIMDJSON_PADDING) body.reserve(body.size() + simdjson::SIMDJSON_PADDING);
  od::document doc;
  od::object top;
  if (impl_->parser.iterate(body.data(), body.size(), body.capacity()).get(doc) != simdjson::SUCCESS ||
      doc.get_object().get(top) != simdjson::SUCCESS) {
    *error = "the answer is not a JSON object";
    return BulkParse::Malformed;
  }
  out.clear();
  bool have_errors = false, errors = true, have_items = false;
  for (auto field_result : top) {
    od::field field;
    std::string_view key;
    if (std::move(field_result).get(field) != simdjson::SUCCESS || field.unescaped_key().get(key) != simdjson::SUCCESS) {
      *error = "the answer is not valid JSON";
      return BulkParse::Malformed;
    }
    if (key == "errors") {
      if (field.value().get_bool().get(errors) != simdjson::SUCCESS) {
        *error = "\"errors\" is not a boolean";
        return BulkParse::Malformed;
      }
      have_errors = true;
      // Elasticsearch writes "errors" before "items": nothing failed, so the
      // items need not be read at all.
      if (!errors) return BulkParse::AllDelivered;
    } else if (key == "items") {
      if (!impl_->read_items(field.value(), items, out, error)) return BulkParse::Malformed;
      have_items = true;
    }
  }
  if (!have_errors) {
    *error = "no \"errors\" field";
    return BulkParse::Malformed;
  }
  if (!errors) return BulkParse::AllDelivered;
  if (!have_items || out.size() != items.size()) {
    *error = std::to_string(out.size()) + " items in the answer for " + std::to_string(items.size()) + " sent";
    return BulkParse::Malformed;
  }
  return BulkParse::PerItem;
}

}  // namespace sluice::es
