package org.inflvg.kernel;

import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Rewrites a compiled cell class so that {@code System.exit}, {@code Runtime.exit} and {@code Runtime.halt} call
 * {@link ExitRefusedException}'s static methods instead. Works on the class file directly (the JDK we target has no
 * public bytecode API): {@code System.exit} only needs its method reference pointed at another class; the two
 * {@code Runtime} methods are instance calls, so their {@code invokevirtual} instructions become {@code invokestatic}
 * of a method taking the receiver as first argument — same length, same stack effect, so nothing else moves.
 */
final class ExitCallRewriter {

    private static final String GUARD = ExitRefusedException.class.getName().replace('.', '/');

    private static final int UTF8 = 1, INTEGER = 3, FLOAT = 4, LONG = 5, DOUBLE = 6, CLASS = 7, STRING = 8,
            FIELDREF = 9, METHODREF = 10, INTERFACE_METHODREF = 11, NAME_AND_TYPE = 12, METHOD_HANDLE = 15,
            METHOD_TYPE = 16, DYNAMIC = 17, INVOKE_DYNAMIC = 18, MODULE = 19, PACKAGE = 20;
    private static final int REF_INVOKE_VIRTUAL = 5, REF_INVOKE_STATIC = 6;
    private static final int OP_INVOKEVIRTUAL = 0xb6, OP_INVOKESTATIC = 0xb8;

    private ExitCallRewriter() {
    }

    /** The class file with exit calls rewritten, or the same array when it has none. */
    static byte[] rewrite(byte[] classFile) {
        try {
            return new Parsed(classFile).rewrite();
        } catch (RuntimeException | IOException e) {
            throw new IllegalStateException("could not check a cell class for System.exit calls: " + e, e);
        }
    }

    private static final class Parsed {
        final byte[] bytes;
        final int count;
        final int[] offset;   // of each constant's tag byte
        final String[] utf8;
        final int constantPoolEnd;

        Parsed(byte[] bytes) throws IOException {
            this.bytes = bytes;
            ByteBuffer in = ByteBuffer.wrap(bytes);
            if (in.getInt(0) != 0xCAFEBABE) {
                throw new IOException("not a class file");
            }
            count = in.getShort(8) & 0xffff;
            offset = new int[count];
            utf8 = new String[count];
            int pos = 10;
            for (int i = 1; i < count; i++) {
                offset[i] = pos;
                int tag = bytes[pos] & 0xff;
                switch (tag) {
                    case UTF8 -> {
                        int len = in.getShort(pos + 1) & 0xffff;
                        utf8[i] = new DataInputStream(new java.io.ByteArrayInputStream(bytes, pos + 1, len + 2)).readUTF();
                        pos += 3 + len;
                    }
                    case INTEGER, FLOAT, FIELDREF, METHODREF, INTERFACE_METHODREF, NAME_AND_TYPE, DYNAMIC, INVOKE_DYNAMIC ->
                            pos += 5;
                    case LONG, DOUBLE -> {
                        pos += 9;
                        i++;   // takes two slots
                    }
                    case CLASS, STRING, METHOD_TYPE, MODULE, PACKAGE -> pos += 3;
                    case METHOD_HANDLE -> pos += 4;
                    default -> throw new IOException("unknown constant tag " + tag + " at " + pos);
                }
            }
            constantPoolEnd = pos;
        }

        int u2(int pos) {
            return ((bytes[pos] & 0xff) << 8) | (bytes[pos + 1] & 0xff);
        }

        int u4(int pos) {
            return ByteBuffer.wrap(bytes).getInt(pos);
        }

        String className(int classIndex) {
            return utf8[u2(offset[classIndex] + 1)];
        }

        /** "name descriptor" of a Methodref. */
        String[] nameAndType(int methodRef) {
            int nat = u2(offset[methodRef] + 3);
            return new String[]{utf8[u2(offset[nat] + 1)], utf8[u2(offset[nat] + 3)]};
        }

        byte[] rewrite() throws IOException {
            List<Integer> systemExit = new ArrayList<>();
            Map<Integer, String> runtimeCalls = new HashMap<>();   // Methodref index -> guard method name
            for (int i = 1; i < count; i++) {
                if (offset[i] == 0 || (bytes[offset[i]] & 0xff) != METHODREF) {
                    continue;
                }
                String owner = className(u2(offset[i] + 1));
                String[] nt = nameAndType(i);
                if (!"(I)V".equals(nt[1])) {
                    continue;
                }
                if ("java/lang/System".equals(owner) && "exit".equals(nt[0])) {
                    systemExit.add(i);
                } else if ("java/lang/Runtime".equals(owner) && ("exit".equals(nt[0]) || "halt".equals(nt[0]))) {
                    runtimeCalls.put(i, "exit".equals(nt[0]) ? "runtimeExit" : "runtimeHalt");
                }
            }
            if (systemExit.isEmpty() && runtimeCalls.isEmpty()) {
                return bytes;
            }

            byte[] out = bytes.clone();
            ByteArrayOutputStream added = new ByteArrayOutputStream();
            DataOutputStream cp = new DataOutputStream(added);
            int next = count;
            cp.writeByte(UTF8);
            cp.writeUTF(GUARD);
            int guardName = next++;
            cp.writeByte(CLASS);
            cp.writeShort(guardName);
            int guardClass = next++;

            for (int ref : systemExit) {   // same name and descriptor, other owner
                int pos = offset[ref] + 1;
                out[pos] = (byte) (guardClass >> 8);
                out[pos + 1] = (byte) guardClass;
            }

            Map<Integer, Integer> replacement = new HashMap<>();
            if (!runtimeCalls.isEmpty()) {
                cp.writeByte(UTF8);
                cp.writeUTF("(Ljava/lang/Runtime;I)V");
                int descriptor = next++;
                Map<String, Integer> byName = new HashMap<>();
                for (String name : runtimeCalls.values()) {
                    if (byName.containsKey(name)) {
                        continue;
                    }
                    cp.writeByte(UTF8);
                    cp.writeUTF(name);
                    int nameIndex = next++;
                    cp.writeByte(NAME_AND_TYPE);
                    cp.writeShort(nameIndex);
                    cp.writeShort(descriptor);
                    int nat = next++;
                    cp.writeByte(METHODREF);
                    cp.writeShort(guardClass);
                    cp.writeShort(nat);
                    byName.put(name, next++);
                }
                runtimeCalls.forEach((ref, name) -> replacement.put(ref, byName.get(name)));
                patchMethodHandles(out, replacement);
                patchInvokeVirtual(out, replacement);
            }
            if (next > 0xffff) {
                throw new IOException("constant pool would overflow");
            }

            ByteArrayOutputStream result = new ByteArrayOutputStream(out.length + added.size());
            result.write(out, 0, 8);
            result.write(next >> 8);
            result.write(next);
            result.write(out, 10, constantPoolEnd - 10);
            result.write(added.toByteArray());
            result.write(out, constantPoolEnd, out.length - constantPoolEnd);
            return result.toByteArray();
        }

        /** {@code Runtime::exit} method references become handles to the static guard. */
        void patchMethodHandles(byte[] out, Map<Integer, Integer> replacement) {
            for (int i = 1; i < count; i++) {
                int pos = offset[i];
                if (pos == 0 || (bytes[pos] & 0xff) != METHOD_HANDLE) {
                    continue;
                }
                Integer target = replacement.get(u2(pos + 2));
                if (target != null && (bytes[pos + 1] & 0xff) == REF_INVOKE_VIRTUAL) {
                    out[pos + 1] = (byte) REF_INVOKE_STATIC;
                    out[pos + 2] = (byte) (target >> 8);
                    out[pos + 3] = (byte) (int) target;
                }
            }
        }

        /** Walks every method's code and turns {@code invokevirtual Runtime.exit/halt} into the static guard call. */
        void patchInvokeVirtual(byte[] out, Map<Integer, Integer> replacement) throws IOException {
            int pos = constantPoolEnd + 6;                 // access, this, super
            pos += 2 + 2 * u2(pos);                        // interfaces
            pos = skipMembers(pos);                        // fields
            int methods = u2(pos);
            pos += 2;
            for (int m = 0; m < methods; m++) {
                pos += 6;                                  // access, name, descriptor
                int attributes = u2(pos);
                pos += 2;
                for (int a = 0; a < attributes; a++) {
                    String name = utf8[u2(pos)];
                    int length = u4(pos + 2);
                    if ("Code".equals(name)) {
                        // name(2) length(4) max_stack(2) max_locals(2) code_length(4) code
                        int codeLength = u4(pos + 10);
                        int codeStart = pos + 14;
                        patchCode(out, codeStart, codeLength, replacement);
                    }
                    pos += 6 + length;
                }
            }
        }

        int skipMembers(int pos) {
            int members = u2(pos);
            pos += 2;
            for (int m = 0; m < members; m++) {
                pos += 6;
                int attributes = u2(pos);
                pos += 2;
                for (int a = 0; a < attributes; a++) {
                    pos += 6 + u4(pos + 2);
                }
            }
            return pos;
        }

        void patchCode(byte[] out, int start, int length, Map<Integer, Integer> replacement) throws IOException {
            int pc = 0;
            while (pc < length) {
                int op = bytes[start + pc] & 0xff;
                if (op == OP_INVOKEVIRTUAL) {
                    Integer target = replacement.get(u2(start + pc + 1));
                    if (target != null) {
                        out[start + pc] = (byte) OP_INVOKESTATIC;
                        out[start + pc + 1] = (byte) (target >> 8);
                        out[start + pc + 2] = (byte) (int) target;
                    }
                }
                pc += instructionLength(start, pc, op);
            }
        }

        int instructionLength(int codeStart, int pc, int op) throws IOException {
            if (op == 0xaa || op == 0xab) {               // tableswitch, lookupswitch: padded to 4 bytes
                int pad = 3 - (pc % 4);
                int base = codeStart + pc + 1 + pad;
                if (op == 0xaa) {
                    int low = u4(base + 4), high = u4(base + 8);
                    return 1 + pad + 12 + 4 * (high - low + 1);
                }
                return 1 + pad + 8 + 8 * u4(base + 4);
            }
            if (op == 0xc4) {                             // wide
                return (bytes[codeStart + pc + 1] & 0xff) == 0x84 ? 6 : 4;
            }
            int length = LENGTHS[op];
            if (length == 0) {
                throw new IOException("unknown opcode " + op + " at " + pc);
            }
            return length;
        }
    }

    /** Instruction lengths by opcode for the fixed-length instructions; 0 for the unknown or variable ones. */
    private static final int[] LENGTHS = new int[256];

    static {
        for (int op = 0x00; op <= 0xc3; op++) {
            LENGTHS[op] = 1;
        }
        LENGTHS[0x10] = 2;                                          // bipush
        LENGTHS[0x11] = 3;                                          // sipush
        LENGTHS[0x12] = 2;                                          // ldc
        LENGTHS[0x13] = LENGTHS[0x14] = 3;                          // ldc_w, ldc2_w
        for (int op = 0x15; op <= 0x19; op++) LENGTHS[op] = 2;      // xload
        for (int op = 0x36; op <= 0x3a; op++) LENGTHS[op] = 2;      // xstore
        LENGTHS[0x84] = 3;                                          // iinc
        for (int op = 0x99; op <= 0xa8; op++) LENGTHS[op] = 3;      // if*, goto, jsr
        LENGTHS[0xa9] = 2;                                          // ret
        LENGTHS[0xaa] = LENGTHS[0xab] = 0;                          // switches: variable
        for (int op = 0xb2; op <= 0xb8; op++) LENGTHS[op] = 3;      // field access, invokevirtual/special/static
        LENGTHS[0xb9] = LENGTHS[0xba] = 5;                          // invokeinterface, invokedynamic
        LENGTHS[0xbb] = 3;                                          // new
        LENGTHS[0xbc] = 2;                                          // newarray
        LENGTHS[0xbd] = 3;                                          // anewarray
        LENGTHS[0xc0] = LENGTHS[0xc1] = 3;                          // checkcast, instanceof
        LENGTHS[0xc5] = 4;                                          // multianewarray
        LENGTHS[0xc6] = LENGTHS[0xc7] = 3;                          // ifnull, ifnonnull
        LENGTHS[0xc8] = LENGTHS[0xc9] = 5;                          // goto_w, jsr_w
    }
}
