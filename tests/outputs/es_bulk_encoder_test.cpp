// Golden _bulk bodies from the es encoder: action lines (create/index, index
// patterns, logstash names, _type, _id), source lines (time key, tag key,
// replace_dots), the final newline, deterministic ids, and splitting under
// max_request_bytes.
#include <catch2/catch.hpp>

#include <set>

#include "tests/outputs/es_test_support.hpp"

namespace SLUICE_UNITY_ID {

using namespace sluice;
using namespace sluice::es;
using namespace sluice::es::test;

TEST_CASE("es encoder: default action and source lines, each ending in a newline", "[es][es_encoder]") {
  auto chunk = chunk_of("app", {R"({"message":"hello","n":1})", R"({"message":"world"})"});
  std::string body = encode_one("", *chunk);
  CHECK(body ==
        "{\"create\":{\"_index\":\"fluent-bit\"}}\n"
        "{\"@timestamp\":\"2023-11-14T22:13:20.123Z\",\"message\":\"hello\",\"n\":1}\n"
        "{\"create\":{\"_index\":\"fluent-bit\"}}\n"
        "{\"@timestamp\":\"2023-11-14T22:13:20.123Z\",\"message\":\"world\"}\n");
  CHECK(body.back() == '\n');
}

TEST_CASE("es encoder: index names", "[es][es_encoder]") {
  const int64_t before_midnight = 1700006399'999000000;  // 2023-11-14T23:59:59.999Z
  const int64_t after_midnight = 1700006400'000000000;   // 2023-11-15T00:00:00Z
  auto chunk = chunk_at("app", {{before_midnight, R"({"a":1})"}, {after_midnight, R"({"a":2})"}});

  SECTION("strftime patterns use each record's time in UTC") {
    auto lines = lines_of(encode_one("index: logs-%Y.%m.%d", *chunk));
    CHECK(lines[0] == R"({"create":{"_index":"logs-2023.11.14"}})");
    CHECK(lines[2] == R"({"create":{"_index":"logs-2023.11.15"}})");
  }
  SECTION("a plain name is used as is; %% is a literal percent") {
    auto lines = lines_of(encode_one("index: app-100%%", *chunk));
    CHECK(lines[0] == R"({"create":{"_index":"app-100%"}})");
    lines = lines_of(encode_one("index: my-index", *chunk));
    CHECK(lines[2] == R"({"create":{"_index":"my-index"}})");
  }
  SECTION("logstash_format: prefix, separator and date") {
    auto lines = lines_of(encode_one("logstash_format: on", *chunk));
    CHECK(lines[0] == R"({"create":{"_index":"logstash-2023.11.14"}})");
    CHECK(lines[2] == R"({"create":{"_index":"logstash-2023.11.15"}})");
    lines = lines_of(encode_one(
        "logstash_format: on\nlogstash_prefix: web%\nlogstash_prefix_separator: _\nlogstash_dateformat: '%Y%m'",
        *chunk));
    CHECK(lines[0] == R"({"create":{"_index":"web%_202311"}})");
  }
  SECTION("logstash_prefix_key takes the prefix from the record, else logstash_prefix") {
    auto mixed = chunk_of("app", {R"({"k":{"ns":"payments"}})", R"({"k":{}})"});
    auto lines = lines_of(encode_one("logstash_format: on\nlogstash_prefix_key: $k['ns']", *mixed));
    CHECK(lines[0] == R"({"create":{"_index":"payments-2023.11.14"}})");
    CHECK(lines[2] == R"({"create":{"_index":"logstash-2023.11.14"}})");
  }
}

TEST_CASE("es encoder: write_operation, _type and ids in the action line", "[es][es_encoder]") {
  auto chunk = chunk_of("app", {R"({"id":"abc-1","num":42})"});
  SECTION("index instead of create (also as op_type)") {
    CHECK(lines_of(encode_one("write_operation: index", *chunk))[0] == R"({"index":{"_index":"fluent-bit"}})");
    CHECK(lines_of(encode_one("op_type: index", *chunk))[0] == R"({"index":{"_index":"fluent-bit"}})");
  }
  SECTION("_type only when configured and not suppressed") {
    CHECK(lines_of(encode_one("type: _doc", *chunk))[0] == R"({"create":{"_index":"fluent-bit","_type":"_doc"}})");
    CHECK(lines_of(encode_one("type: _doc\nsuppress_type_name: on", *chunk))[0] ==
          R"({"create":{"_index":"fluent-bit"}})");
  }
  SECTION("id_key: a string or an integer field of the record") {
    CHECK(lines_of(encode_one("id_key: id", *chunk))[0] == R"({"create":{"_index":"fluent-bit","_id":"abc-1"}})");
    CHECK(lines_of(encode_one("id_key: $num", *chunk))[0] == R"({"create":{"_index":"fluent-bit","_id":"42"}})");
  }
  SECTION("id_key wins over generate_id; a record without it gets no _id") {
    BulkEncoder encoder(settings_of("id_key: missing\ngenerate_id: on").encoder);
    EncodeResult result;
    encoder.encode(refs_of(*chunk), result);
    CHECK(lines_of(result.bodies[0].body)[0] == R"({"create":{"_index":"fluent-bit"}})");
    CHECK_FALSE(result.bodies[0].items[0].own_id);
  }
}

// Fluent Bit's update and upsert: the update action, and the source as the
// partial document (upsert: created when missing).
TEST_CASE("es encoder: update and upsert send the record as a partial document", "[es][es_encoder]") {
  auto chunk = chunk_of("app", {R"({"id":"abc-1","num":42})"});
  auto update = lines_of(encode_one("write_operation: update\nid_key: id", *chunk));
  REQUIRE(update.size() == 2);
  CHECK(update[0] == R"({"update":{"_index":"fluent-bit","_id":"abc-1"}})");
  CHECK(update[1] == R"({"doc":{"@timestamp":"2023-11-14T22:13:20.123Z","id":"abc-1","num":42}})");
  auto upsert = lines_of(encode_one("write_operation: upsert\nid_key: id", *chunk));
  CHECK(upsert[0] == R"({"update":{"_index":"fluent-bit","_id":"abc-1"}})");
  CHECK(upsert[1] == R"({"doc_as_upsert":true,"doc":{"@timestamp":"2023-11-14T22:13:20.123Z","id":"abc-1","num":42}})");
  SECTION("with generate_id: the id of the plain source, the body wrapped") {
    BulkEncoder plain(settings_of("generate_id: on").encoder);
    std::string id = plain.generated_id(chunk->tag, chunk->events[0]);
    BulkEncoder encoder(settings_of("write_operation: upsert\ngenerate_id: on").encoder);
    EncodeResult result;
    encoder.encode(refs_of(*chunk), result);
    auto lines = lines_of(result.bodies[0].body);
    CHECK(lines[0] == R"({"update":{"_index":"fluent-bit","_id":")" + id + R"("}})");
    CHECK(lines[1].rfind(R"({"doc_as_upsert":true,"doc":{)", 0) == 0);
    CHECK(result.bodies[0].body.back() == '\n');
    // A 409 on an update is not "stored already": it is retried.
    CHECK_FALSE(result.bodies[0].items[0].own_id);
    CHECK(result.bodies[0].items[0].update);
  }
}

TEST_CASE("es encoder: generated ids are deterministic hashes of tag, time and record", "[es][es_encoder]") {
  auto chunk = chunk_at("app", {{kTime, R"({"m":"x"})"}, {kTime, R"({"m":"x"})"}, {kTime, R"({"m":"y"})"},
                                {kTime + 1, R"({"m":"x"})"}});
  auto other_tag = chunk_of("other", {R"({"m":"x"})"});
  BulkEncoder encoder(settings_of("generate_id: on").encoder);
  std::string id = encoder.generated_id(chunk->tag, chunk->events[0]);
  // The known answer, computed outside sluice: the first 16 bytes, in hex, of
  // SHA-256(u32le(len(tag)) tag i64le(time_ns) source_line), the source line
  // with its newline, with Python:
  //   hashlib.sha256(struct.pack("<I", 3) + b"app" + struct.pack("<q", 1700000000123456789)
  //                  + b'{"@timestamp":"2023-11-14T22:13:20.123Z","m":"x"}\n').hexdigest()[:32]
  // Ids must not change between versions: a retry after an upgrade has to
  // meet the documents the old version stored.
  CHECK(id == "13982ae068b643f9e3afb2e31f85f4ff");
  CHECK(encoder.generated_id(chunk->tag, chunk->events[1]) == id);  // the same record again: the same id
  CHECK(encoder.generated_id(chunk->tag, chunk->events[2]) != id);
  CHECK(encoder.generated_id(chunk->tag, chunk->events[3]) != id);
  CHECK(encoder.generated_id(other_tag->tag, other_tag->events[0]) != id);
  // Another encoder (a restarted process) computes the same id.
  BulkEncoder again(settings_of("generate_id: on").encoder);
  CHECK(again.generated_id(chunk->tag, chunk->events[0]) == id);

  EncodeResult result;
  encoder.encode(refs_of(*chunk), result);
  auto lines = lines_of(result.bodies[0].body);
  CHECK(lines[0] == R"({"create":{"_index":"fluent-bit","_id":")" + id + "\"}}");
  CHECK(result.bodies[0].items[0].own_id);
}

TEST_CASE("es encoder: source line fields", "[es][es_encoder]") {
  SECTION("time_key name, format and nanoseconds") {
    auto chunk = chunk_of("app", {R"({"a":1})"});
    CHECK(lines_of(encode_one("time_key: ts\ntime_key_format: '%Y/%m/%d %H:%M:%S'", *chunk))[1] ==
          R"({"ts":"2023/11/14 22:13:20.123Z","a":1})");
    CHECK(lines_of(encode_one("time_key_nanos: on", *chunk))[1] ==
          R"({"@timestamp":"2023-11-14T22:13:20.123456789Z","a":1})");
    CHECK(lines_of(encode_one("time_key: ''", *chunk))[1] == R"({"a":1})");
  }
  SECTION("a time before 1970 has a valid fraction") {
    auto chunk = chunk_at("app", {{-500'000'000, R"({"a":1})"}});
    CHECK(lines_of(encode_one("", *chunk))[1] == R"({"@timestamp":"1969-12-31T23:59:59.500Z","a":1})");
  }
  SECTION("a record's own time field is kept, not duplicated") {
    auto chunk = chunk_of("app", {R"({"@timestamp":"2020-01-01T00:00:00Z","a":1})"});
    CHECK(lines_of(encode_one("", *chunk))[1] == R"({"@timestamp":"2020-01-01T00:00:00Z","a":1})");
  }
  SECTION("include_tag_key adds the tag under tag_key") {
    auto chunk = chunk_of("app.web", {R"({"a":1})"});
    CHECK(lines_of(encode_one("include_tag_key: on\ntime_key: ''", *chunk))[1] == R"({"flb-key":"app.web","a":1})");
    CHECK(lines_of(encode_one("include_tag_key: on\ntag_key: tag\ntime_key: ''", *chunk))[1] ==
          R"({"tag":"app.web","a":1})");
  }
  SECTION("replace_dots renames keys at every depth, values untouched") {
    auto chunk = chunk_of("app", {R"({"a.b":"x.y","n":{"c.d":1,"l":[{"e.f":2}]}})"});
    CHECK(lines_of(encode_one("replace_dots: on\ntime_key: ''", *chunk))[1] ==
          R"({"a_b":"x.y","n":{"c_d":1,"l":[{"e_f":2}]}})");
  }
  SECTION("strings are escaped") {
    auto chunk = chunk_of("app", {R"({"m":"quote \" and \\ and \n"})"});
    CHECK(lines_of(encode_one("time_key: ''\nindex: 'a\"b'", *chunk))[0] == R"({"create":{"_index":"a\"b"}})");
    CHECK(lines_of(encode_one("time_key: ''", *chunk))[1] == R"({"m":"quote \" and \\ and \n"})");
  }
}

TEST_CASE("es encoder: bodies are split under max_request_bytes", "[es][es_encoder]") {
  std::vector<std::string> records;
  for (int i = 0; i < 40; ++i) records.push_back(R"({"i":)" + std::to_string(i) + R"(,"pad":")" + std::string(100, 'x') + "\"}");
  auto chunk = chunk_of("app", records);
  auto refs = refs_of(*chunk);
  BulkEncoder encoder(settings_of("max_request_bytes: 1k").encoder);
  EncodeResult result;
  encoder.encode(refs, result);
  REQUIRE(result.bodies.size() > 1);
  CHECK(result.too_big.empty());
  uint32_t next = 0;
  for (const auto& body : result.bodies) {
    CHECK(body.body.size() <= 1024);
    CHECK(body.body.back() == '\n');
    CHECK(lines_of(body.body).size() == 2 * body.items.size());
    for (const auto& item : body.items) CHECK(item.event == next++);  // every event once, in order
  }
  CHECK(next == 40);

  SECTION("a record too big on its own is set aside; the others still go") {
    auto big = chunk_of("app", {R"({"a":1})", R"({"pad":")" + std::string(2000, 'y') + "\"}", R"({"a":3})"});
    EncodeResult r;
    encoder.encode(refs_of(*big), r);
    CHECK(r.too_big == std::vector<uint32_t>{1});
    REQUIRE(r.bodies.size() == 1);
    REQUIRE(r.bodies[0].items.size() == 2);
    CHECK(r.bodies[0].items[0].event == 0);
    CHECK(r.bodies[0].items[1].event == 2);
  }
  SECTION("a subset of the events (as for a 413 split)") {
    EncodeResult r;
    std::vector<uint32_t> which = {3, 7};
    encoder.encode(refs, which, r);
    REQUIRE(r.bodies.size() == 1);
    CHECK(r.bodies[0].items.size() == 2);
    CHECK(r.bodies[0].items[1].event == 7);
    CHECK(lines_of(r.bodies[0].body)[3].find(R"("i":7,)") != std::string::npos);
  }
}

}  // namespace SLUICE_UNITY_ID
