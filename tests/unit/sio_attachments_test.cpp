#include "proto/sio/sio_attachments.h"

#include <gtest/gtest.h>

#include <memory>
#include <string>

using namespace roomcast::sio;

namespace {

std::span<const uint8_t> bytes(const std::string& s) {
  return {reinterpret_cast<const uint8_t*>(s.data()), s.size()};
}

}  // namespace

TEST(SioAttachments, PlainPacketIsCompleteAtOnce) {
  std::unique_ptr<AssembledPacket> pending;
  AssembledPacket out;
  auto st = assemble_text(pending, "2/chat,7[\"hi\",1]", 10, out);
  EXPECT_EQ(st.status, AssemblyStatus::Complete);
  EXPECT_FALSE(pending);
  EXPECT_EQ(Type(out.type), Type::Event);
  EXPECT_EQ(out.nsp, "/chat");
  EXPECT_EQ(out.ack_id, 7u);
  EXPECT_EQ(out.data, "[\"hi\",1]");
  EXPECT_TRUE(out.attachments.empty());
}

TEST(SioAttachments, BinaryPacketWaitsForEachAttachmentInOrder) {
  std::unique_ptr<AssembledPacket> pending;
  AssembledPacket out;
  const std::string text =
      "52-3[\"up\",{\"_placeholder\":true,\"num\":0},{\"_placeholder\":true,\"num\":1}]";
  ASSERT_EQ(assemble_text(pending, text, 10, out).status, AssemblyStatus::NeedMore);
  ASSERT_TRUE(pending);
  EXPECT_EQ(assemble_binary(pending, bytes("first"), out).status, AssemblyStatus::NeedMore);
  auto st = assemble_binary(pending, bytes(std::string("\0second", 7)), out);
  ASSERT_EQ(st.status, AssemblyStatus::Complete);
  EXPECT_FALSE(pending);
  EXPECT_EQ(Type(out.type), Type::BinaryEvent);
  EXPECT_EQ(out.ack_id, 3u);
  EXPECT_EQ(out.expected, 2u);
  ASSERT_EQ(out.attachments.size(), 2u);
  EXPECT_EQ(out.attachments[0], "first");
  EXPECT_EQ(out.attachments[1], std::string("\0second", 7));
  // Nothing is due any more: the next text packet stands alone.
  EXPECT_EQ(assemble_text(pending, "2[\"next\"]", 10, out).status, AssemblyStatus::Complete);
  EXPECT_EQ(out.data, "[\"next\"]");
}

TEST(SioAttachments, EmptyAttachmentCounts) {
  std::unique_ptr<AssembledPacket> pending;
  AssembledPacket out;
  ASSERT_EQ(assemble_text(pending, "61-[{\"_placeholder\":true,\"num\":0}]", 10, out).status, AssemblyStatus::NeedMore);
  auto st = assemble_binary(pending, {}, out);
  ASSERT_EQ(st.status, AssemblyStatus::Complete);
  ASSERT_EQ(out.attachments.size(), 1u);
  EXPECT_EQ(out.attachments[0], "");
}

TEST(SioAttachments, UnannouncedBinaryIsAnError) {
  std::unique_ptr<AssembledPacket> pending;
  AssembledPacket out;
  auto st = assemble_binary(pending, bytes("x"), out);
  EXPECT_EQ(st.status, AssemblyStatus::Error);
  EXPECT_EQ(st.error, AssemblyError::UnexpectedBinary);
  // After a complete binary packet, one more binary message is unannounced too.
  ASSERT_EQ(assemble_text(pending, "51-[\"e\",{\"_placeholder\":true,\"num\":0}]", 10, out).status,
            AssemblyStatus::NeedMore);
  ASSERT_EQ(assemble_binary(pending, bytes("a"), out).status, AssemblyStatus::Complete);
  EXPECT_EQ(assemble_binary(pending, bytes("b"), out).error, AssemblyError::UnexpectedBinary);
}

TEST(SioAttachments, TextWhileAttachmentsAreDueIsAnErrorAndClearsTheState) {
  std::unique_ptr<AssembledPacket> pending;
  AssembledPacket out;
  ASSERT_EQ(assemble_text(pending, "52-[\"e\",{\"_placeholder\":true,\"num\":0},{\"_placeholder\":true,\"num\":1}]", 10, out).status,
            AssemblyStatus::NeedMore);
  ASSERT_EQ(assemble_binary(pending, bytes("a"), out).status, AssemblyStatus::NeedMore);
  auto st = assemble_text(pending, "2[\"e\"]", 10, out);
  EXPECT_EQ(st.status, AssemblyStatus::Error);
  EXPECT_EQ(st.error, AssemblyError::MissingAttachments);
  EXPECT_FALSE(pending);
}

TEST(SioAttachments, DecodeErrorsCarryTheirReason) {
  std::unique_ptr<AssembledPacket> pending;
  AssembledPacket out;
  auto st = assemble_text(pending, "511-[\"e\"]", 10, out);
  EXPECT_EQ(st.status, AssemblyStatus::Error);
  EXPECT_EQ(st.error, AssemblyError::Decode);
  EXPECT_EQ(st.decode, DecodeError::TooManyAttachments);
  EXPECT_EQ(assemble_text(pending, "511-[\"e\"]", 11, out).decode, DecodeError::InvalidPayload);  // placeholders
  EXPECT_EQ(assemble_text(pending, "9", 10, out).decode, DecodeError::UnknownType);
  EXPECT_EQ(assemble_text(pending, "2[\"connect\"]", 10, out).decode, DecodeError::ReservedEventName);
  EXPECT_FALSE(pending);
}
