package io.github.kerasresnet.core

/**
 * A small JSON reader for the model's metadata and the golden files, so that
 * this module needs nothing beyond the Kotlin standard library.
 * Objects become Map<String, Any?>, arrays List<Any?>, numbers Double.
 */
object Json {
    fun parse(text: String): Any? {
        val reader = Reader(text)
        val value = reader.value()
        reader.skipSpace()
        if (reader.pos != text.length) throw reader.error("unexpected text after the value")
        return value
    }

    private class Reader(val text: String) {
        var pos = 0

        fun error(what: String) = IllegalArgumentException("JSON: $what at offset $pos")

        fun skipSpace() {
            while (pos < text.length && text[pos].isWhitespace()) pos++
        }

        fun value(): Any? {
            skipSpace()
            if (pos >= text.length) throw error("unexpected end")
            return when (text[pos]) {
                '{' -> obj()
                '[' -> array()
                '"' -> string()
                't' -> literal("true", true)
                'f' -> literal("false", false)
                'n' -> literal("null", null)
                else -> number()
            }
        }

        fun literal(word: String, result: Any?): Any? {
            if (!text.startsWith(word, pos)) throw error("unknown literal")
            pos += word.length
            return result
        }

        fun expect(c: Char) {
            skipSpace()
            if (pos >= text.length || text[pos] != c) throw error("expected '$c'")
            pos++
        }

        fun obj(): Map<String, Any?> {
            val result = LinkedHashMap<String, Any?>()
            expect('{')
            skipSpace()
            if (text.getOrNull(pos) == '}') {
                pos++
                return result
            }
            while (true) {
                skipSpace()
                val key = string()
                expect(':')
                result[key] = value()
                skipSpace()
                if (text.getOrNull(pos) == ',') pos++ else break
            }
            expect('}')
            return result
        }

        fun array(): List<Any?> {
            val result = ArrayList<Any?>()
            expect('[')
            skipSpace()
            if (text.getOrNull(pos) == ']') {
                pos++
                return result
            }
            while (true) {
                result.add(value())
                skipSpace()
                if (text.getOrNull(pos) == ',') pos++ else break
            }
            expect(']')
            return result
        }

        fun string(): String {
            if (text.getOrNull(pos) != '"') throw error("expected a string")
            pos++
            val out = StringBuilder()
            while (true) {
                if (pos >= text.length) throw error("unterminated string")
                val c = text[pos++]
                when (c) {
                    '"' -> return out.toString()
                    '\\' -> {
                        if (pos >= text.length) throw error("unterminated escape")
                        val e = text[pos++]
                        when (e) {
                            'n' -> out.append('\n')
                            't' -> out.append('\t')
                            'r' -> out.append('\r')
                            'b' -> out.append('\b')
                            'f' -> out.append('\u000C')
                            'u' -> {
                                if (pos + 4 > text.length) throw error("short \\u escape")
                                out.append(text.substring(pos, pos + 4).toInt(16).toChar())
                                pos += 4
                            }
                            else -> out.append(e)
                        }
                    }
                    else -> out.append(c)
                }
            }
        }

        fun number(): Double {
            val start = pos
            while (pos < text.length && text[pos] in "+-0123456789.eE") pos++
            if (start == pos) throw error("unexpected character '${text[pos]}'")
            return text.substring(start, pos).toDoubleOrNull() ?: throw error("bad number")
        }
    }
}

/** Typed access to a parsed JSON object, with errors that name the key. */
class JsonObject(private val map: Map<String, Any?>, private val where: String = "metadata") {
    private fun get(key: String): Any? {
        if (!map.containsKey(key)) throw IllegalArgumentException("$where: missing \"$key\"")
        return map[key]
    }

    fun has(key: String) = map.containsKey(key) && map[key] != null

    fun string(key: String) = get(key) as? String
        ?: throw IllegalArgumentException("$where: \"$key\" is not a string")

    fun double(key: String) = (get(key) as? Double)
        ?: throw IllegalArgumentException("$where: \"$key\" is not a number")

    fun int(key: String) = double(key).toInt()

    @Suppress("UNCHECKED_CAST")
    fun obj(key: String) = JsonObject(
        get(key) as? Map<String, Any?>
            ?: throw IllegalArgumentException("$where: \"$key\" is not an object"),
        "$where.$key"
    )

    fun list(key: String) = get(key) as? List<*>
        ?: throw IllegalArgumentException("$where: \"$key\" is not a list")

    companion object {
        @Suppress("UNCHECKED_CAST")
        fun parse(text: String, where: String = "metadata") = JsonObject(
            Json.parse(text) as? Map<String, Any?>
                ?: throw IllegalArgumentException("$where: not a JSON object"),
            where
        )
    }
}
