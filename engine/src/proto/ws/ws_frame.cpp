// RFC 6455 framing, server side. The parser validates each header byte as soon as it
// arrives, so a hostile stream is refused before any of its payload is buffered.
#include "proto/ws/ws_frame.h"

#include <simdjson.h>

#include <algorithm>
#include <cstring>

namespace roomcast::ws {
namespace {

// A finished message's buffer is kept only when small: with 100k idle connections even
// 64 KiB each would pin gigabytes, while a few KiB still saves the malloc for the common
// case of small frames that happen to straddle two reads.
constexpr size_t kKeepCapacity = 4096;

constexpr uint8_t kOpContinuation = 0x0;
constexpr uint8_t kOpText = 0x1;
constexpr uint8_t kOpClose = 0x8;

bool is_control(uint8_t op) { return (op & 0x8) != 0; }
bool known_opcode(uint8_t op) { return op <= 0x2 || (op >= 0x8 && op <= 0xA); }

bool utf8_ok(const uint8_t* p, size_t n) {
  return simdjson::validate_utf8(reinterpret_cast<const char*>(p), n);
}

// End of the longest prefix of p[begin, end) that cannot be changed by bytes still to
// come: a trailing lead byte whose sequence is not complete yet is held back. Splitting
// validation there is exact because a lead byte always starts a new code point.
size_t utf8_stable_end(const uint8_t* p, size_t begin, size_t end) {
  for (size_t i = end; i > begin && end - i < 4;) {
    --i;
    uint8_t b = p[i];
    if ((b & 0xC0) == 0x80) continue;  // continuation byte: keep looking for its lead
    size_t need = b < 0x80 ? 1 : (b & 0xE0) == 0xC0 ? 2 : (b & 0xF0) == 0xE0 ? 3
                : (b & 0xF8) == 0xF0 ? 4 : 0;  // 0: not a lead byte; validation rejects it
    return need > end - i ? i : end;
  }
  return end;
}

// True if p[0, n) (a lead byte and fewer continuation bytes than it needs) can still
// become a well-formed sequence (Unicode Table 3-7). Lets a text message fail on the
// fragment that makes it invalid even when that fragment ends mid-sequence: "\xF4\x90" is
// already past U+10FFFF, "\xED\xA0" a surrogate, "\xE0\x80" overlong, "\xC0" never valid.
bool utf8_valid_prefix(const uint8_t* p, size_t n) {
  const uint8_t lead = p[0];
  if (lead < 0xC2 || lead > 0xF4) return false;
  for (size_t i = 1; i < n; ++i) {
    uint8_t lo = 0x80, hi = 0xBF;
    if (i == 1) {  // only the second byte's range depends on the lead
      if (lead == 0xE0) lo = 0xA0;
      if (lead == 0xED) hi = 0x9F;
      if (lead == 0xF0) lo = 0x90;
      if (lead == 0xF4) hi = 0x8F;
    }
    if (p[i] < lo || p[i] > hi) return false;
  }
  return true;
}

}  // namespace

bool valid_received_close_code(uint16_t code) {
  // 1012-1014 were registered with IANA after the RFC (service restart, try again later,
  // bad gateway); a peer relaying an upstream close may send them. 1004-1006 and 1015 stay
  // out: reserved, or defined as never appearing on the wire.
  return (code >= 1000 && code <= 1003) || (code >= 1007 && code <= 1014) ||
         (code >= 3000 && code <= 4999);
}

std::string encode_frame(Opcode op, std::string_view payload) {
  std::string s(header_size(payload.size()) + payload.size(), '\0');
  size_t h = encode_header(op, payload.size(), reinterpret_cast<uint8_t*>(s.data()));
  if (!payload.empty()) std::memcpy(s.data() + h, payload.data(), payload.size());
  return s;
}

std::string encode_close(uint16_t code, std::string_view reason) {
  if (code == close_code::kNoStatus) return encode_frame(Opcode::Close, {});
  size_t cut = std::min<size_t>(reason.size(), 123);
  // Never cut inside a code point: the peer would fail the close with 1007.
  while (cut > 0 && cut < reason.size() && (uint8_t(reason[cut]) & 0xC0) == 0x80) --cut;
  std::string payload(2 + cut, '\0');
  payload[0] = char(code >> 8);
  payload[1] = char(code & 0xFF);
  if (cut) std::memcpy(payload.data() + 2, reason.data(), cut);
  return encode_frame(Opcode::Close, payload);
}

Parser::Parser(size_t max_message_bytes, size_t max_fragments)
    : max_message_(max_message_bytes), max_fragments_(max_fragments) {}

Status Parser::next(std::span<uint8_t>& in, Message& out) {
  if (error_) return Status::Error;
  if (release_pending_) {
    // The previous call handed out message_; only now may it be reused or freed.
    release_pending_ = false;
    if (message_.capacity() > kKeepCapacity) {
      std::vector<uint8_t>().swap(message_);
    } else {
      message_.clear();
    }
  }
  for (;;) {
    if (!in_payload_) {
      Step st = read_header(in);
      if (st == Step::Failed) return Status::Error;
      if (st == Step::More) return Status::NeedMore;
    }
    Status s = is_control(opcode_) ? read_control(in, out) : read_data(in, out);
    // NeedMore with input left means a non-final fragment ended: read the next frame.
    if (s != Status::NeedMore || in.empty()) return s;
  }
}

// Header bytes are gathered in stages (byte 0, byte 1, extended length, mask key) and each
// stage is checked when complete, so errors surface with as few bytes read as possible.
Parser::Step Parser::read_header(std::span<uint8_t>& in) {
  for (;;) {
    size_t ext = 0;
    if (hdr_len_ >= 2) {
      uint8_t len7 = hdr_[1] & 0x7F;
      ext = len7 == 126 ? 2 : (len7 == 127 ? 8 : 0);
    }
    bool length_stage = hdr_len_ >= 2 && hdr_len_ < 2 + ext;
    size_t stage_end = hdr_len_ < 1 ? 1 : hdr_len_ < 2 ? 2 : length_stage ? 2 + ext : 6 + ext;
    if (in.empty()) return Step::More;
    size_t take = std::min(stage_end - hdr_len_, in.size());
    std::memcpy(hdr_ + hdr_len_, in.data(), take);
    hdr_len_ += take;
    in = in.subspan(take);
    if (hdr_len_ < stage_end) return Step::More;

    if (stage_end == 1) {
      if (!on_first_byte(hdr_[0])) return Step::Failed;
    } else if (stage_end == 2) {
      if (!on_second_byte(hdr_[1])) return Step::Failed;
    } else if (length_stage) {
      // The RFC reserves the top bit of a 64-bit length; lengths are 63-bit.
      if (ext == 8 && (hdr_[2] & 0x80)) {
        reject(close_code::kProtocolError);
        return Step::Failed;
      }
      uint64_t len = 0;
      for (size_t i = 0; i < ext; ++i) len = (len << 8) | hdr_[2 + i];
      if (!on_length(len)) return Step::Failed;
    } else {
      std::memcpy(mask_, hdr_ + 2 + ext, 4);
      in_payload_ = true;
      payload_done_ = 0;
      return Step::Done;
    }
  }
}

bool Parser::on_first_byte(uint8_t b0) {
  fin_ = (b0 & 0x80) != 0;
  opcode_ = b0 & 0x0F;
  // RSV bits would only be legal under a negotiated extension, and none is negotiated.
  if (b0 & 0x70) return reject(close_code::kProtocolError);
  if (!known_opcode(opcode_)) return reject(close_code::kProtocolError);
  if (is_control(opcode_)) {
    if (!fin_) return reject(close_code::kProtocolError);
    return true;
  }
  if (opcode_ == kOpContinuation) {
    if (!in_fragmented_) return reject(close_code::kProtocolError);
  } else {
    if (in_fragmented_) return reject(close_code::kProtocolError);
    message_opcode_ = opcode_;
  }
  // Counted before the length is read: empty fragments cost nothing else, so this is
  // the only thing bounding a stream of them.
  if (++fragments_ > max_fragments_) return reject(close_code::kTooBig);
  in_fragmented_ = !fin_;
  return true;
}

bool Parser::on_second_byte(uint8_t b1) {
  uint8_t len7 = b1 & 0x7F;
  if (!(b1 & 0x80)) return reject(close_code::kProtocolError);  // clients must mask
  if (is_control(opcode_) && len7 > kMaxControl) return reject(close_code::kProtocolError);
  // A close payload is empty or starts with a two-byte code; one byte cannot be either.
  if (opcode_ == kOpClose && len7 == 1) return reject(close_code::kProtocolError);
  return len7 >= 126 || on_length(len7);  // longer lengths are checked once read
}

bool Parser::on_length(uint64_t len) {
  payload_len_ = len;
  if (is_control(opcode_)) return true;
  // message_total_ never exceeds max_message_, so the subtraction cannot wrap.
  if (len > max_message_ - message_total_) return reject(close_code::kTooBig);
  message_total_ += len;
  return true;
}

Status Parser::read_control(std::span<uint8_t>& in, Message& out) {
  if (payload_done_ == 0 && in.size() >= payload_len_) {
    size_t n = size_t(payload_len_);
    mask_payload(in.data(), n, mask_, 0);
    std::span<const uint8_t> payload(in.data(), n);
    in = in.subspan(n);
    end_frame();
    return finish_control(payload, out);
  }
  // A control frame split across reads goes to ctrl_, not message_, because it may sit
  // between fragments of a data message that message_ is still holding.
  size_t take = std::min<size_t>(size_t(payload_len_ - payload_done_), in.size());
  std::memcpy(ctrl_ + payload_done_, in.data(), take);
  mask_payload(ctrl_ + payload_done_, take, mask_, payload_done_);
  payload_done_ += take;
  in = in.subspan(take);
  if (payload_done_ < payload_len_) return Status::NeedMore;
  size_t n = size_t(payload_len_);
  end_frame();
  return finish_control(std::span<const uint8_t>(ctrl_, n), out);
}

Status Parser::finish_control(std::span<const uint8_t> payload, Message& out) {
  out.opcode = Opcode(opcode_);
  out.close_code = 0;
  out.payload = payload;
  if (opcode_ != kOpClose) return Status::Message;
  if (payload.empty()) {
    out.close_code = close_code::kNoStatus;
    return Status::Message;
  }
  uint16_t code = uint16_t((payload[0] << 8) | payload[1]);
  if (!valid_received_close_code(code)) return fail(close_code::kProtocolError);
  std::span<const uint8_t> reason = payload.subspan(2);
  if (!utf8_ok(reason.data(), reason.size())) return fail(close_code::kInvalidPayload);
  out.close_code = code;
  out.payload = reason;
  return Status::Message;
}

Status Parser::read_data(std::span<uint8_t>& in, Message& out) {
  uint64_t remaining = payload_len_ - payload_done_;
  bool single_frame = fin_ && opcode_ != kOpContinuation;
  if (single_frame && payload_done_ == 0 && in.size() >= remaining) {
    // Fast path: the whole message is in the caller's buffer; unmask it there.
    size_t n = size_t(remaining);
    mask_payload(in.data(), n, mask_, 0);
    std::span<const uint8_t> payload(in.data(), n);
    in = in.subspan(n);
    end_frame();
    if (opcode_ == kOpText && !utf8_ok(payload.data(), n)) return fail(close_code::kInvalidPayload);
    out = Message{Opcode(opcode_), payload, 0};
    reset_message();
    return Status::Message;
  }
  // Growth is left to the vector (geometric) instead of reserving the declared length:
  // a peer that announces 1 MB and then stalls should cost what it actually sent.
  size_t take = size_t(std::min<uint64_t>(remaining, in.size()));
  if (take) {
    mask_payload(in.data(), take, mask_, payload_done_);
    message_.insert(message_.end(), in.data(), in.data() + take);
    payload_done_ += take;
    in = in.subspan(take);
    if (message_opcode_ == kOpText && !check_text_progress(false))
      return fail(close_code::kInvalidPayload);
  }
  if (payload_done_ < payload_len_) return Status::NeedMore;
  bool final = fin_;
  end_frame();
  if (!final) return Status::NeedMore;
  if (message_opcode_ == kOpText && !check_text_progress(true))
    return fail(close_code::kInvalidPayload);
  out = Message{Opcode(message_opcode_), std::span<const uint8_t>(message_.data(), message_.size()), 0};
  reset_message();
  release_pending_ = true;
  return Status::Message;
}

// Validates the part of a text message received since the last check, so invalid UTF-8
// fails on the fragment that carries it rather than after the whole message arrived.
bool Parser::check_text_progress(bool final) {
  const size_t size = message_.size();
  const size_t end = final ? size : utf8_stable_end(message_.data(), utf8_checked_, size);
  if (end > utf8_checked_ && !utf8_ok(message_.data() + utf8_checked_, end - utf8_checked_))
    return false;
  // The held-back tail is an unfinished code point: it must still be able to finish.
  if (end < size && !utf8_valid_prefix(message_.data() + end, size - end)) return false;
  utf8_checked_ = std::max(utf8_checked_, end);
  return true;
}

void Parser::end_frame() {
  hdr_len_ = 0;
  in_payload_ = false;
  payload_done_ = 0;
  payload_len_ = 0;
}

void Parser::reset_message() {
  message_opcode_ = 0;
  in_fragmented_ = false;
  fragments_ = 0;
  message_total_ = 0;
  utf8_checked_ = 0;
}

}  // namespace roomcast::ws
