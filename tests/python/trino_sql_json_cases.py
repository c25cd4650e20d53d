"""Trino's own expectations for its SQL/JSON query functions, json_value, json_query and
json_exists, transcribed from its test classes (Apache License 2.0, trinodb/trino):
  core/trino-main/src/test/java/io/trino/sql/query/TestJsonValueFunction.java  (commit 0a56d09d5b30ae882a61e4a5d26bf3cc054de9e5)
  core/trino-main/src/test/java/io/trino/sql/query/TestJsonQueryFunction.java  (commit 02a469ff26f7c58d4f76deffa8c7d6cc6b5f630c)
  core/trino-main/src/test/java/io/trino/sql/query/TestJsonExistsFunction.java (commit d9777f385a839769697abc37a4660ac37b0548aa)
Each case is an expression and the text Trino answers (None for NULL), or an expression and a
part of Trino's error message. Constants are inlined; positions ("line 1:NN: ") are left out.
"""

TRINO_SQL_JSON = [
    # TestJsonValueFunction.testJsonValue
    ('json_value(\'["a", "b", "c"]\', \'lax $[1]\')', 'b'),
    # TestJsonValueFunction.testJsonValue
    ('json_value(\'["a", "b", "c"]\', \'strict $[1]\')', 'b'),
    # TestJsonValueFunction.testJsonValue
    ('json_value(\'["a", "b", "c"]\', \'lax $[2 to 100]\')', 'c'),
    # TestJsonValueFunction.testJsonValue
    ('json_value(\'["a", "b", "c"]\', \'strict $[100]\')', None),
    # TestJsonValueFunction.testJsonValue
    ('json_value(\'["a", "b", "c"]\', \'strict $[100]\' NULL ON ERROR)', None),
    # TestJsonValueFunction.testJsonValue
    ('json_value(\'["a", "b", "c"]\', \'strict $[100]\' DEFAULT \'x\' ON ERROR)', 'x'),
    # TestJsonValueFunction.testJsonValue
    ('json_value(\'["a", "b", "c"]\', \'lax $[100]\')', None),
    # TestJsonValueFunction.testJsonValue
    ('json_value(\'["a", "b", "c"]\', \'lax $[100]\' NULL ON EMPTY)', None),
    # TestJsonValueFunction.testJsonValue
    ('json_value(\'["a", "b", "c"]\', \'lax $[100]\' DEFAULT \'x\' ON EMPTY)', 'x'),
    # TestJsonValueFunction.testJsonValue
    ('json_value(\'["a", "b", "c"]\', \'lax $[0 to 2]\')', None),
    # TestJsonValueFunction.testJsonValue
    ('json_value(\'["a", "b", "c"]\', \'lax $[0 to 2]\' NULL ON ERROR)', None),
    # TestJsonValueFunction.testJsonValue
    ('json_value(\'["a", "b", "c"]\', \'lax $[0 to 2]\' DEFAULT \'x\' ON ERROR)', 'x'),
    # TestJsonValueFunction.testInputFormat
    ('json_value(\'["a", "b", "c"]\', \'lax $[1]\')', 'b'),
    # TestJsonValueFunction.testInputFormat
    ('json_value(\'["a", "b", "c"]\' FORMAT JSON, \'lax $[1]\')', 'b'),
    # TestJsonValueFunction.testInputConversionError
    ("json_value('[...', 'lax $[1]')", None),
    # TestJsonValueFunction.testInputConversionError
    ("json_value('[...', 'lax $[1]' NULL ON ERROR)", None),
    # TestJsonValueFunction.testInputConversionError
    ("json_value('[...', 'lax $[1]' DEFAULT 'x' ON ERROR)", 'x'),
    # TestJsonValueFunction.testPassingClause
    ('json_value(\'["a", "b", "c"]\', \'lax $number + 1\' PASSING 5 AS "number")', '6'),
    # TestJsonValueFunction.testPassingClause
    ('json_value(\'["a", "b", "c"]\', \'lax $array[0]\' PASSING \'[1, 2, 3]\' FORMAT JSON AS "array")', '1'),
    # TestJsonValueFunction.testPassingClause
    ('json_value(\'["a", "b", "c"]\', \'lax $array[0]\' PASSING \'[...\' FORMAT JSON AS "array")', None),
    # TestJsonValueFunction.testPassingClause
    ('json_value(\'["a", "b", "c"]\', \'lax $[$number]\' PASSING 5 AS "number")', None),
    # TestJsonValueFunction.testReturnedType
    ('json_value(\'["a", "b", "c"]\', \'lax 1\')', '1'),
    # TestJsonValueFunction.testReturnedType
    ('json_value(\'["a", "b", "c"]\', \'lax true\')', 'true'),
    # TestJsonValueFunction.testReturnedType
    ('json_value(\'["a", "b", "c"]\', \'lax null\')', None),
    # TestJsonValueFunction.testReturnedType
    ('json_value(\'["a", "b", "c"]\', \'lax 1000\' RETURNING tinyint)', None),
    # TestJsonValueFunction.testReturnedType
    ('json_value(\'["a", "b", "c"]\', \'lax 1000\' RETURNING tinyint DEFAULT TINYINT \'-1\' ON ERROR)', '-1'),
    # TestJsonValueFunction.testReturnedType
    ('json_value(\'["a", "b", "c"]\', \'lax 1000000000000 * 1000000000000\' RETURNING bigint DEFAULT TINYINT \'-1\' ON ERROR)', '-1'),
    # TestJsonValueFunction.testPathResultNonScalar
    ('json_value(\'["a", "b", "c"]\', \'lax $\')', None),
    # TestJsonValueFunction.testPathResultNonScalar
    ('json_value(\'["a", "b", "c"]\', \'lax $\' NULL ON ERROR)', None),
    # TestJsonValueFunction.testPathResultNonScalar
    ('json_value(\'["a", "b", "c"]\', \'lax $\' DEFAULT \'x\' ON ERROR)', 'x'),
    # TestJsonValueFunction.testNullInput
    ("json_value(null, 'lax $')", None),
    # TestJsonValueFunction.testNullInput
    ('json_value(\'["a", "b", "c"]\', \'lax $var\' PASSING null AS "var")', None),
    # TestJsonValueFunction.testNullInput
    ('json_value(\'["a", "b", "c"]\', \'lax $var\' PASSING null FORMAT JSON AS "var" DEFAULT \'was empty...\' ON EMPTY)', 'was empty...'),
    # TestJsonValueFunction.testNullInput
    ('json_value(\'["a", "b", "c"]\', \'lax 1\' DEFAULT null ON EMPTY DEFAULT null ON ERROR)', '1'),
    # TestJsonValueFunction.testNullInput
    ('json_value(\'["a", "b", "c"]\', \'lax $[100]\' DEFAULT null ON EMPTY)', None),
    # TestJsonValueFunction.testNullInput
    ('json_value(\'["a", "b", "c"]\', \'lax 1 + $[0]\' DEFAULT null ON ERROR)', None),
    # TestJsonQueryFunction.testJsonQuery
    ('json_query(\'["a", "b", "c"]\', \'lax $\')', '["a","b","c"]'),
    # TestJsonQueryFunction.testJsonQuery
    ('json_query(\'["a", "b", "c"]\', \'strict $\')', '["a","b","c"]'),
    # TestJsonQueryFunction.testJsonQuery
    ('json_query(\'["a", "b", "c"]\', \'strict $[100]\')', None),
    # TestJsonQueryFunction.testJsonQuery
    ('json_query(\'["a", "b", "c"]\', \'strict $[100]\' NULL ON ERROR)', None),
    # TestJsonQueryFunction.testJsonQuery
    ('json_query(\'["a", "b", "c"]\', \'strict $[100]\' EMPTY ARRAY ON ERROR)', '[]'),
    # TestJsonQueryFunction.testJsonQuery
    ('json_query(\'["a", "b", "c"]\', \'strict $[100]\' EMPTY OBJECT ON ERROR)', '{}'),
    # TestJsonQueryFunction.testJsonQuery
    ('json_query(\'["a", "b", "c"]\', \'lax $[100]\')', None),
    # TestJsonQueryFunction.testJsonQuery
    ('json_query(\'["a", "b", "c"]\', \'lax $[100]\' NULL ON EMPTY)', None),
    # TestJsonQueryFunction.testJsonQuery
    ('json_query(\'["a", "b", "c"]\', \'lax $[100]\' EMPTY ARRAY ON EMPTY)', '[]'),
    # TestJsonQueryFunction.testJsonQuery
    ('json_query(\'["a", "b", "c"]\', \'lax $[100]\' EMPTY OBJECT ON EMPTY)', '{}'),
    # TestJsonQueryFunction.testJsonQuery
    ('json_query(\'["a", "b", "c"]\', \'lax $[0 to 2]\')', None),
    # TestJsonQueryFunction.testJsonQuery
    ('json_query(\'["a", "b", "c"]\', \'lax $[0 to 2]\' NULL ON ERROR)', None),
    # TestJsonQueryFunction.testJsonQuery
    ('json_query(\'["a", "b", "c"]\', \'lax $[0 to 2]\' EMPTY ARRAY ON ERROR)', '[]'),
    # TestJsonQueryFunction.testJsonQuery
    ('json_query(\'["a", "b", "c"]\', \'lax $[0 to 2]\' EMPTY OBJECT ON ERROR)', '{}'),
    # TestJsonQueryFunction.testInputFormat
    ('json_query(\'["a", "b", "c"]\', \'lax $[1]\')', '"b"'),
    # TestJsonQueryFunction.testInputFormat
    ('json_query(\'["a", "b", "c"]\' FORMAT JSON, \'lax $[1]\')', '"b"'),
    # TestJsonQueryFunction.testInputConversionError
    ("json_query('[...', 'lax $[1]')", None),
    # TestJsonQueryFunction.testInputConversionError
    ("json_query('[...', 'lax $[1]' NULL ON ERROR)", None),
    # TestJsonQueryFunction.testInputConversionError
    ("json_query('[...', 'lax $[1]' EMPTY ARRAY ON ERROR)", '[]'),
    # TestJsonQueryFunction.testInputConversionError
    ("json_query('[...', 'lax $[1]' EMPTY OBJECT ON ERROR)", '{}'),
    # TestJsonQueryFunction.testPassingClause
    ('json_query(\'["a", "b", "c"]\', \'lax $number + 1\' PASSING 5 AS "number")', '6'),
    # TestJsonQueryFunction.testPassingClause
    ('json_query(\'["a", "b", "c"]\', \'lax $array[0]\' PASSING \'[1, 2, 3]\' FORMAT JSON AS "array")', '1'),
    # TestJsonQueryFunction.testPassingClause
    ('json_query(\'["a", "b", "c"]\', \'lax $array[0]\' PASSING \'[...\' FORMAT JSON AS "array")', None),
    # TestJsonQueryFunction.testPassingClause
    ('json_query(\'["a", "b", "c"]\', \'lax $[$number]\' PASSING 5 AS "number")', None),
    # TestJsonQueryFunction.testOutput
    ('json_query(\'["a", "b", "c"]\', \'lax 1\')', '1'),
    # TestJsonQueryFunction.testOutput
    ('json_query(\'["a", "b", "c"]\', \'lax true\' RETURNING varchar FORMAT JSON)', 'true'),
    # TestJsonQueryFunction.testOutput
    ('json_query(\'["a", "b", "c"]\', \'lax null\' RETURNING varchar FORMAT JSON)', 'null'),
    # TestJsonQueryFunction.testWrapperBehavior
    ('json_query(\'["a", "b", "c"]\', \'lax $[0 to 1]\')', None),
    # TestJsonQueryFunction.testWrapperBehavior
    ('json_query(\'["a", "b", "c"]\', \'lax $[0 to 1]\' WITH CONDITIONAL ARRAY WRAPPER)', '["a","b"]'),
    # TestJsonQueryFunction.testWrapperBehavior
    ('json_query(\'["a", "b", "c"]\', \'lax $[0]\' WITH CONDITIONAL ARRAY WRAPPER)', '["a"]'),
    # TestJsonQueryFunction.testWrapperBehavior
    ('json_query(\'["a", "b", "c"]\', \'lax $\' WITH CONDITIONAL ARRAY WRAPPER)', '["a","b","c"]'),
    # TestJsonQueryFunction.testWrapperBehavior
    ('json_query(\'{"key" : 1}\', \'lax $\' WITH CONDITIONAL ARRAY WRAPPER)', '{"key":1}'),
    # TestJsonQueryFunction.testWrapperBehavior
    ('json_query(\'["a", "b", "c"]\', \'lax $[0 to 1]\' WITH UNCONDITIONAL ARRAY WRAPPER)', '["a","b"]'),
    # TestJsonQueryFunction.testWrapperBehavior
    ('json_query(\'["a", "b", "c"]\', \'lax $[0]\' WITH UNCONDITIONAL ARRAY WRAPPER)', '["a"]'),
    # TestJsonQueryFunction.testWrapperBehavior
    ('json_query(\'["a", "b", "c"]\', \'lax $\' WITH UNCONDITIONAL ARRAY WRAPPER)', '[["a","b","c"]]'),
    # TestJsonQueryFunction.testWrapperBehavior
    ('json_query(\'{"key" : 1}\', \'lax $\' WITH UNCONDITIONAL ARRAY WRAPPER)', '[{"key":1}]'),
    # TestJsonQueryFunction.testQuotesBehavior
    ('json_query(\'["a", "b", "c"]\', \'lax "some scalar text value"\')', '"some scalar text value"'),
    # TestJsonQueryFunction.testQuotesBehavior
    ('json_query(\'["a", "b", "c"]\', \'lax "some scalar text value"\' KEEP QUOTES ON SCALAR STRING)', '"some scalar text value"'),
    # TestJsonQueryFunction.testQuotesBehavior
    ('json_query(\'["a", "b", "c"]\', \'lax "some scalar text value"\' OMIT QUOTES ON SCALAR STRING)', 'some scalar text value'),
    # TestJsonQueryFunction.testQuotesBehavior
    ('json_query(\'["a", "b", "c"]\', \'lax $\' OMIT QUOTES ON SCALAR STRING)', '["a","b","c"]'),
    # TestJsonQueryFunction.testNullInput
    ("json_query(null, 'lax $')", None),
    # TestJsonQueryFunction.testNullInput
    ('json_query(\'["a", "b", "c"]\', \'lax $var\' PASSING null AS "var")', 'null'),
    # TestJsonQueryFunction.testNullInput
    ('json_query(\'["a", "b", "c"]\', \'lax $var\' PASSING null FORMAT JSON AS "var" EMPTY ARRAY ON EMPTY)', '[]'),
    # TestJsonQueryFunction.testDescendantMemberAccessor
    ('json_query(\'{"a" : {"b" : 1}, "c" :  [true, {"c" : {"c" : null}}]}\', \'lax $..c\' WITH ARRAY WRAPPER)', '[[true,{"c":{"c":null}}],{"c":null},null]'),
    # TestJsonExistsFunction.testJsonExists
    ('json_exists(\'["a", "b", "c"]\', \'lax $[1]\')', 'true'),
    # TestJsonExistsFunction.testJsonExists
    ('json_exists(\'["a", "b", "c"]\', \'strict $[1]\')', 'true'),
    # TestJsonExistsFunction.testJsonExists
    ('json_exists(\'["a", "b", "c"]\', \'lax $[100]\')', 'false'),
    # TestJsonExistsFunction.testJsonExists
    ('json_exists(\'["a", "b", "c"]\', \'strict $[100]\')', 'false'),
    # TestJsonExistsFunction.testJsonExists
    ('json_exists(\'["a", "b", "c"]\', \'strict $[100]\' TRUE ON ERROR)', 'true'),
    # TestJsonExistsFunction.testJsonExists
    ('json_exists(\'["a", "b", "c"]\', \'strict $[100]\' FALSE ON ERROR)', 'false'),
    # TestJsonExistsFunction.testJsonExists
    ('json_exists(\'["a", "b", "c"]\', \'strict $[100]\' UNKNOWN ON ERROR)', None),
    # TestJsonExistsFunction.testInputFormat
    ('json_exists(\'["a", "b", "c"]\', \'lax $[1]\')', 'true'),
    # TestJsonExistsFunction.testInputFormat
    ('json_exists(\'["a", "b", "c"]\' FORMAT JSON, \'lax $[1]\')', 'true'),
    # TestJsonExistsFunction.testInputConversionError
    ("json_exists('[...', 'lax $[1]')", 'false'),
    # TestJsonExistsFunction.testInputConversionError
    ("json_exists('[...', 'strict $[1]' TRUE ON ERROR)", 'true'),
    # TestJsonExistsFunction.testInputConversionError
    ("json_exists('[...', 'strict $[1]' FALSE ON ERROR)", 'false'),
    # TestJsonExistsFunction.testInputConversionError
    ("json_exists('[...', 'strict $[1]' UNKNOWN ON ERROR)", None),
    # TestJsonExistsFunction.testPassingClause
    ('json_exists(\'["a", "b", "c"]\', \'lax $number + 1\' PASSING 5 AS "number")', 'true'),
    # TestJsonExistsFunction.testPassingClause
    ('json_exists(\'["a", "b", "c"]\', \'lax $array[0]\' PASSING \'[1, 2, 3]\' FORMAT JSON AS "array")', 'true'),
    # TestJsonExistsFunction.testPassingClause
    ('json_exists(\'["a", "b", "c"]\', \'lax $array[0]\' PASSING \'[...\' FORMAT JSON AS "array")', 'false'),
    # TestJsonExistsFunction.testPassingClause
    ('json_exists(\'["a", "b", "c"]\', \'lax $[$number]\' PASSING 5 AS "number")', 'false'),
    # TestJsonExistsFunction.testNullInput
    ("json_exists(null, 'lax $')", None),
    # TestJsonExistsFunction.testNullInput
    ('json_exists(\'["a", "b", "c"]\', \'lax $var\' PASSING null AS "var")', 'true'),
    # TestJsonExistsFunction.testNullInput
    ('json_exists(\'["a", "b", "c"]\', \'lax $var\' PASSING null FORMAT JSON AS "var")', 'false'),
]

TRINO_SQL_JSON_ERRORS = [
    # TestJsonValueFunction.testJsonValue
    ('json_value(\'["a", "b", "c"]\', \'strict $[100]\' ERROR ON ERROR)', 'path evaluation failed: structural error: invalid array subscript: [100, 100] for array of size 3'),
    # TestJsonValueFunction.testJsonValue
    ('json_value(\'["a", "b", "c"]\', \'lax $[100]\' ERROR ON EMPTY)', 'cannot extract SQL scalar from JSON: JSON path found no items'),
    # TestJsonValueFunction.testJsonValue
    ('json_value(\'["a", "b", "c"]\', \'lax $[0 to 2]\' ERROR ON ERROR)', 'cannot extract SQL scalar from JSON: JSON path found multiple items'),
    # TestJsonValueFunction.testInputFormat
    ('json_value(\'["a", "b", "c"]\' FORMAT JSON ENCODING UTF8, \'lax $[1]\')', 'Cannot read input of type varchar(15) as JSON using formatting JSON ENCODING UTF8'),
    # TestJsonValueFunction.testInputConversionError
    ("json_value('[...', 'lax $[1]' ERROR ON ERROR)", 'conversion to JSON failed'),
    # TestJsonValueFunction.testPassingClause
    ('json_value(\'["a", "b", "c"]\', \'lax $number + 1\' PASSING 2 AS number)', 'no value passed for parameter number. Try quoting "number" in the PASSING clause to match case'),
    # TestJsonValueFunction.testPassingClause
    ('json_value(\'["a", "b", "c"]\', \'lax $array[0]\' PASSING \'[...\' FORMAT JSON AS "array" ERROR ON ERROR)', 'conversion to JSON failed'),
    # TestJsonValueFunction.testPathResultNonScalar
    ('json_value(\'["a", "b", "c"]\', \'lax $\' ERROR ON ERROR)', 'cannot extract SQL scalar from JSON: JSON path found an item that cannot be converted to an SQL value'),
    # TestJsonValueFunction.testIncorrectPath
    ('json_value(\'["a", "b", "c"]\', \'certainly not a valid path\')', "mismatched input 'certainly' expecting {'lax', 'strict'}"),
    # TestJsonQueryFunction.testJsonQuery
    ('json_query(\'["a", "b", "c"]\', \'strict $[100]\' ERROR ON ERROR)', 'path evaluation failed: structural error: invalid array subscript: [100, 100] for array of size 3'),
    # TestJsonQueryFunction.testJsonQuery
    ('json_query(\'["a", "b", "c"]\', \'lax $[100]\' ERROR ON EMPTY)', 'conversion from JSON failed: JSON path found no items'),
    # TestJsonQueryFunction.testJsonQuery
    ('json_query(\'["a", "b", "c"]\', \'lax $[0 to 2]\' ERROR ON ERROR)', 'conversion from JSON failed: JSON path found multiple items'),
    # TestJsonQueryFunction.testInputFormat
    ('json_query(\'["a", "b", "c"]\' FORMAT JSON ENCODING UTF8, \'lax $[1]\')', 'Cannot read input of type varchar(15) as JSON using formatting JSON ENCODING UTF8'),
    # TestJsonQueryFunction.testInputConversionError
    ("json_query('[...', 'lax $[1]' ERROR ON ERROR)", 'conversion to JSON failed'),
    # TestJsonQueryFunction.testPassingClause
    ('json_query(\'["a", "b", "c"]\', \'lax $number + 1\' PASSING 2 AS number)', 'no value passed for parameter number. Try quoting "number" in the PASSING clause to match case'),
    # TestJsonQueryFunction.testPassingClause
    ('json_query(\'["a", "b", "c"]\', \'lax $array[0]\' PASSING \'[...\' FORMAT JSON AS "array" ERROR ON ERROR)', 'conversion to JSON failed'),
    # TestJsonQueryFunction.testOutput
    ('json_query(\'["a", "b", "c"]\', \'lax 1\' RETURNING tinyint)', 'Cannot output JSON value as tinyint using formatting JSON'),
    # TestJsonQueryFunction.testIncorrectPath
    ('json_query(\'["a", "b", "c"]\', \'certainly not a valid path\')', "mismatched input 'certainly' expecting {'lax', 'strict'}"),
    # TestJsonExistsFunction.testJsonExists
    ('json_exists(\'["a", "b", "c"]\', \'strict $[100]\' ERROR ON ERROR)', 'path evaluation failed: structural error: invalid array subscript: [100, 100] for array of size 3'),
    # TestJsonExistsFunction.testInputFormat
    ('json_exists(\'["a", "b", "c"]\' FORMAT JSON ENCODING UTF8, \'lax $[1]\')', 'Cannot read input of type varchar(15) as JSON using formatting JSON ENCODING UTF8'),
    # TestJsonExistsFunction.testInputConversionError
    ("json_exists('[...', 'strict $[1]' ERROR ON ERROR)", 'conversion to JSON failed'),
    # TestJsonExistsFunction.testPassingClause
    ('json_exists(\'["a", "b", "c"]\', \'lax $number + 1\' PASSING 2 AS number)', 'no value passed for parameter number. Try quoting "number" in the PASSING clause to match case'),
    # TestJsonExistsFunction.testPassingClause
    ('json_exists(\'["a", "b", "c"]\', \'lax $array[0]\' PASSING \'[...\' FORMAT JSON AS "array" ERROR ON ERROR)', 'conversion to JSON failed'),
    # TestJsonExistsFunction.testIncorrectPath
    ('json_exists(\'["a", "b", "c"]\', \'certainly not a valid path\')', "mismatched input 'certainly' expecting {'lax', 'strict'}"),
]
