// Fluent Bit's parser decoders (`decode_field`, `decode_field_as`): after a
// parser made a record, a field's string value is decoded again — JSON
// text into its keys, or escaped text into plain text.
#pragma once
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "agent/parse/parser.hpp"

namespace sluice {

// Not thread-safe (a JSON format object with scratch state); its owner, a
// Parser, runs on the main thread.
class FieldDecoders {
 public:
  enum class Kind : uint8_t {
    Field,    // decode_field: a decoded JSON object's keys are added to the record
    FieldAs,  // decode_field_as: the field's value is replaced by what it decodes to
  };
  enum class Backend : uint8_t { Json, Escaped, EscapedUtf8, MysqlQuoted };
  enum class Action : uint8_t {
    None,     // stop after this rule, whether it decoded or not
    TryNext,  // on failure, try the next rule of this field
    DoNext,   // on success or failure, go on to the next rule
  };

  FieldDecoders();
  ~FieldDecoders();
  FieldDecoders(FieldDecoders&&) noexcept;
  FieldDecoders& operator=(FieldDecoders&&) noexcept;

  // Adds one rule from its text, "BACKEND FIELD [ACTION]" (Fluent Bit's
  // order; backend and action case-insensitive). Returns what is wrong with
  // it, or "" when it was added. Rules of one field run in the order added.
  std::string add(Kind kind, std::string_view text);
  bool empty() const { return fields_.empty(); }
  // Whether a rule decodes to text where only a JSON object can be used
  // (decode_field escaped ...): Fluent Bit runs it and discards the text.
  bool has_text_field_rule() const { return text_field_rule_; }

  // Applies the rules to record (a Map) in place, allocating in arena. A
  // field whose value is not a string, or doesn't decode, is left as it is.
  void apply(Value& record, Arena& arena);

 private:
  struct Rule {
    Kind kind;
    Backend backend;
    Action action;
  };
  struct FieldRules {
    std::string field;
    std::vector<Rule> rules;
  };
  bool decode(Backend backend, std::string_view in, Arena& arena, Value& out);

  std::vector<FieldRules> fields_;
  std::unique_ptr<ParseFormat> json_;
  bool text_field_rule_ = false;
};

// The text decoders on their own (exposed for tests). Each returns the
// decoded text in arena; none is longer than its input.
namespace decode {
// \n \t \r \a \b \f \v \\ decoded; a backslash before another byte is dropped.
std::string_view escaped(std::string_view in, Arena& arena);
// JSON's and C's escapes: \" \' \\ \/ \n \t \r \a \b \f \v, octal \NNN,
// \xHH, \uXXXX (with surrogate pairs) and \UXXXXXXXX, written as UTF-8.
std::string_view escaped_utf8(std::string_view in, Arena& arena);
// A value in MySQL's single or double quotes: quotes removed and \n \r \t
// \\ \' \" \0 \Z decoded; an unquoted value stays as it is.
std::string_view mysql_quoted(std::string_view in, Arena& arena);
}  // namespace decode

}  // namespace sluice
