/* The default model, embedded read-only in the library (see models/MODEL_CARD.md). */
    .section .rodata
    .balign 64
    .globl senti__default_model
    .hidden senti__default_model
senti__default_model:
    .incbin SENTI_DEFAULT_MODEL_PATH
    .globl senti__default_model_end
    .hidden senti__default_model_end
senti__default_model_end:
    .byte 0
    .section .note.GNU-stack,"",@progbits
