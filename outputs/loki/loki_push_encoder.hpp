// Loki's protobuf push body, written by hand from grafana/loki
// pkg/push/push.proto (package logproto), and the snappy block compression
// around it. Pure functions: a PushBatch in, bytes out.
//
//   PushRequest      { repeated StreamAdapter streams = 1; }
//   StreamAdapter    { string labels = 1; repeated EntryAdapter entries = 2; }
//   EntryAdapter     { google.protobuf.Timestamp timestamp = 1; string line = 2;
//                      repeated LabelPairAdapter structuredMetadata = 3; }
//   LabelPairAdapter { string name = 1; string value = 2; }
//   Timestamp        { int64 seconds = 1; int32 nanos = 2; }
//
// As proto3 encoders do, fields holding their default (0, "") are left out;
// StreamAdapter.hash and PushRequest.format are never sent.
#pragma once
#include <cstdint>
#include <string>
#include <string_view>

#include "outputs/loki/loki_streams.hpp"

namespace sluice::loki {

namespace pb {

// Bytes of v as a base-128 varint (1 to 10).
size_t varint_size(uint64_t v);
// Writes v at p and returns the end.
char* put_varint(char* p, uint64_t v);
void append_varint(std::string& out, uint64_t v);

}  // namespace pb

// Replaces out with the PushRequest of batch (uncompressed protobuf).
void encode_push_request(const PushBatch& batch, std::string& out);

// Replaces out with in compressed in snappy's block format (not the framed
// "stream" format): Loki decodes a non-JSON push body this way.
void snappy_compress(std::string_view in, std::string& out);

}  // namespace sluice::loki
