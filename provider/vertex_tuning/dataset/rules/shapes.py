"""The v1 shapes of what a tuning example may carry besides turns: tools, function calls.

Data, not code: each message maps its JSON field names to a kind (string, bool, number, int,
bytes, duration, value: any JSON, struct: any object, list: any array, enum:NAME, a message
name, [kind] for a repeated field, {kind} for a map). GAPIC_MESSAGES is google-cloud-aiplatform
2.7.0's aiplatform_v1 descriptors, the schema the emulator parses with (a test keeps the two
equal); LIVE_API_EXTRAS are the fields the v1 discovery document (revision 20261106) has beyond
it, accepted because the service does. Discovery-only message fields are taken as any object.
"""

from __future__ import annotations

__all__ = ["ENUMS", "GAPIC_ENUMS", "GAPIC_MESSAGES", "LIVE_API_EXTRAS", "MESSAGES"]

GAPIC_MESSAGES: dict[str, dict[str, str]] = {
    "VideoMetadata": {"startOffset": "duration", "endOffset": "duration", "fps": "number"},
    "Tool": {
        "functionDeclarations": "[FunctionDeclaration]",
        "retrieval": "Retrieval",
        "googleSearch": "GoogleSearch",
        "googleSearchRetrieval": "GoogleSearchRetrieval",
        "googleMaps": "GoogleMaps",
        "enterpriseWebSearch": "EnterpriseWebSearch",
        "parallelAiSearch": "ParallelAiSearch",
        "exaAiSearch": "ExaAiSearch",
        "codeExecution": "CodeExecution",
        "urlContext": "UrlContext",
        "computerUse": "ComputerUse",
    },
    "FunctionDeclaration": {
        "name": "string",
        "description": "string",
        "parameters": "Schema",
        "parametersJsonSchema": "value",
        "response": "Schema",
        "responseJsonSchema": "value",
    },
    "Schema": {
        "type": "enum:Type",
        "format": "string",
        "title": "string",
        "description": "string",
        "nullable": "bool",
        "default": "value",
        "items": "Schema",
        "minItems": "int",
        "maxItems": "int",
        "enum": "[string]",
        "properties": "{Schema}",
        "propertyOrdering": "[string]",
        "required": "[string]",
        "minProperties": "int",
        "maxProperties": "int",
        "minimum": "number",
        "maximum": "number",
        "minLength": "int",
        "maxLength": "int",
        "pattern": "string",
        "example": "value",
        "anyOf": "[Schema]",
        "additionalProperties": "value",
        "ref": "string",
        "defs": "{Schema}",
    },
    "Retrieval": {
        "vertexAiSearch": "VertexAISearch",
        "vertexRagStore": "VertexRagStore",
        "disableAttribution": "bool",
    },
    "VertexAISearch": {
        "datastore": "string",
        "engine": "string",
        "maxResults": "int",
        "filter": "string",
        "dataStoreSpecs": "[DataStoreSpec]",
    },
    "DataStoreSpec": {
        "dataStore": "string",
        "filter": "string",
    },
    "VertexRagStore": {
        "ragResources": "[RagResource]",
        "similarityTopK": "int",
        "vectorDistanceThreshold": "number",
        "ragRetrievalConfig": "RagRetrievalConfig",
    },
    "RagResource": {
        "ragCorpus": "string",
        "ragFileIds": "[string]",
    },
    "RagRetrievalConfig": {
        "topK": "int",
        "filter": "Filter",
        "ranking": "Ranking",
    },
    "Filter": {
        "vectorDistanceThreshold": "number",
        "vectorSimilarityThreshold": "number",
        "metadataFilter": "string",
    },
    "Ranking": {
        "rankService": "RankService",
        "llmRanker": "LlmRanker",
    },
    "RankService": {
        "modelName": "string",
    },
    "LlmRanker": {
        "modelName": "string",
    },
    "GoogleSearch": {
        "excludeDomains": "[string]",
        "blockingConfidence": "enum:PhishBlockThreshold",
    },
    "GoogleSearchRetrieval": {
        "dynamicRetrievalConfig": "DynamicRetrievalConfig",
    },
    "DynamicRetrievalConfig": {
        "mode": "enum:Mode",
        "dynamicThreshold": "number",
    },
    "GoogleMaps": {
        "enableWidget": "bool",
    },
    "EnterpriseWebSearch": {
        "excludeDomains": "[string]",
        "blockingConfidence": "enum:PhishBlockThreshold",
    },
    "ParallelAiSearch": {
        "apiKey": "string",
        "enableZeroDataRetention": "bool",
        "customConfigs": "struct",
    },
    "ExaAiSearch": {
        "apiKey": "string",
        "customConfigs": "struct",
    },
    "CodeExecution": {},
    "UrlContext": {},
    "ComputerUse": {
        "environment": "enum:Environment",
        "excludedPredefinedFunctions": "[string]",
    },
    "FunctionCall": {
        "name": "string",
        "args": "struct",
        "partialArgs": "[PartialArg]",
        "willContinue": "bool",
    },
    "PartialArg": {
        "nullValue": "enum:NullValue",
        "numberValue": "number",
        "stringValue": "string",
        "boolValue": "bool",
        "jsonPath": "string",
        "willContinue": "bool",
    },
    "FunctionResponse": {
        "name": "string",
        "response": "struct",
        "parts": "[FunctionResponsePart]",
    },
    "FunctionResponsePart": {
        "inlineData": "FunctionResponseBlob",
        "fileData": "FunctionResponseFileData",
    },
    "FunctionResponseBlob": {
        "mimeType": "string",
        "data": "bytes",
        "displayName": "string",
    },
    "FunctionResponseFileData": {
        "mimeType": "string",
        "fileUri": "string",
        "displayName": "string",
    },
}

GAPIC_ENUMS: dict[str, tuple[str, ...]] = {
    "Type": ("TYPE_UNSPECIFIED", "STRING", "NUMBER", "INTEGER", "BOOLEAN", "ARRAY", "OBJECT"),
    "PhishBlockThreshold": (
        "PHISH_BLOCK_THRESHOLD_UNSPECIFIED",
        "BLOCK_LOW_AND_ABOVE",
        "BLOCK_MEDIUM_AND_ABOVE",
        "BLOCK_HIGH_AND_ABOVE",
        "BLOCK_HIGHER_AND_ABOVE",
        "BLOCK_VERY_HIGH_AND_ABOVE",
        "BLOCK_ONLY_EXTREMELY_HIGH",
    ),
    "Mode": ("MODE_UNSPECIFIED", "MODE_DYNAMIC"),
    "Environment": ("ENVIRONMENT_UNSPECIFIED", "ENVIRONMENT_BROWSER"),
    "NullValue": ("NULL_VALUE",),
}

LIVE_API_EXTRAS: dict[str, dict[str, str]] = {
    "FunctionDeclaration": {
        "behavior": "enum:Behavior",
    },
    "Retrieval": {
        "externalApi": "struct",
    },
    "GoogleSearch": {
        "searchTypes": "struct",
    },
    "GoogleMaps": {
        "groundingTypes": "struct",
    },
    "ParallelAiSearch": {
        "enableDataRetention": "bool",
    },
    "ComputerUse": {
        "disabledSafetyPolicies": "[string]",
        "enablePromptInjectionDetection": "bool",
    },
    "FunctionCall": {
        "id": "string",
    },
    "FunctionResponse": {
        "id": "string",
        "scheduling": "enum:Scheduling",
    },
}

_LIVE_API_ENUMS: dict[str, tuple[str, ...]] = {
    "Behavior": ("UNSPECIFIED", "BLOCKING", "NON_BLOCKING"),
    "Scheduling": ("SCHEDULING_UNSPECIFIED", "SILENT", "WHEN_IDLE", "INTERRUPT"),
}

#: What the validator accepts: the emulator's schema plus the live API's newer fields.
MESSAGES: dict[str, dict[str, str]] = {
    name: {**fields, **LIVE_API_EXTRAS.get(name, {})} for name, fields in GAPIC_MESSAGES.items()
}
ENUMS: dict[str, tuple[str, ...]] = {**GAPIC_ENUMS, **_LIVE_API_ENUMS}
