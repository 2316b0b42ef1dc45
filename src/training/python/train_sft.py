"""LoRA supervised fine-tuning of a GGUF causal LM on prompt-completion JSONL.

Driven by `copyforge train sft` (src/training/train-sft.ts), which prepares the data,
owns the Python environment and reads the JSON lines this script prints on stdout:
  {"event": "loaded", ...}  {"event": "step", "step": n, "loss": x, ...}
  {"event": "checkpoint", ...}  {"event": "saved", "adapterDirectory": ...}  {"event": "done", ...}
Errors go to stderr and a non-zero exit. Loss is on the completion tokens only.
"""

import argparse
import hashlib
import json
import math
import os
import random
import shutil
import subprocess
import sys
import time
from pathlib import Path


def emit(event, **fields):
    print(json.dumps({"event": event, **fields}, ensure_ascii=False), flush=True)


def parse_arguments():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--base-gguf", required=True, help="GGUF file of the base model")
    parser.add_argument("--data", required=True, help="JSONL of {prompt, completion}")
    parser.add_argument("--out", required=True, help="output folder (checkpoints, adapter)")
    parser.add_argument("--adapter-gguf", required=True, help="where to write the GGUF adapter")
    parser.add_argument("--llama-cpp", required=True, help="llama.cpp source folder (convert_lora_to_gguf.py)")
    parser.add_argument("--epochs", type=float, default=1.0)
    parser.add_argument("--max-steps", type=int, default=0, help="stop after this many steps (0: epochs decide)")
    parser.add_argument("--batch-size", type=int, default=4)
    parser.add_argument("--learning-rate", type=float, default=2e-4)
    parser.add_argument("--warmup-steps", type=int, default=10)
    parser.add_argument("--rank", type=int, default=16)
    parser.add_argument("--alpha", type=float, default=32)
    parser.add_argument("--dropout", type=float, default=0.05)
    parser.add_argument("--target-modules", default="q_proj,k_proj,v_proj,o_proj,gate_proj,up_proj,down_proj")
    parser.add_argument("--max-length", type=int, default=768, help="longer examples are dropped, not cut")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--checkpoint-every", type=int, default=25)
    parser.add_argument("--resume", action="store_true")
    parser.add_argument("--init-adapter", default="",
                        help="PEFT adapter folder (an earlier run's <out>/adapter) to start from: same rank, "
                             "alpha and target modules; a fresh optimiser and schedule")
    parser.add_argument("--data-sha256", default="", help="recorded in checkpoints; resume refuses other data")
    parser.add_argument("--detach-prompt", action="store_true",
                        help="encode each prompt without gradients and train on the answer only "
                             "(about 1.6x faster on CPU; the prompt's encoding is not tuned)")
    return parser.parse_args()


def main():
    arguments = parse_arguments()
    import torch

    torch.set_num_threads(arguments.threads)
    torch.set_num_interop_threads(1)
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    from peft import LoraConfig, PeftModel, get_peft_model, set_peft_model_state_dict
    from transformers import AutoModelForCausalLM, AutoTokenizer
    from transformers.utils import logging as hf_logging

    hf_logging.set_verbosity_error()
    random.seed(arguments.seed)
    torch.manual_seed(arguments.seed)

    out = Path(arguments.out)
    out.mkdir(parents=True, exist_ok=True)
    gguf = Path(arguments.base_gguf).resolve()
    started = time.time()
    tokenizer = AutoTokenizer.from_pretrained(str(gguf.parent), gguf_file=gguf.name)
    model = AutoModelForCausalLM.from_pretrained(str(gguf.parent), gguf_file=gguf.name, dtype=torch.float32)
    model.config.use_cache = False
    emit("loaded", seconds=round(time.time() - started, 1), architecture=type(model).__name__,
         parameters=sum(p.numel() for p in model.parameters()))

    # Tokenise prompt and completion apart, as inference does: the prompt is tokenised
    # alone (with BOS) and the answer follows token by token, ending with EOS.
    examples = []
    dropped = 0
    with open(arguments.data, encoding="utf-8") as handle:
        for line in handle:
            if not line.strip():
                continue
            record = json.loads(line)
            prompt = tokenizer(record["prompt"], add_special_tokens=True)["input_ids"]
            completion = tokenizer(record["completion"], add_special_tokens=False)["input_ids"]
            if tokenizer.eos_token_id is not None:
                completion = completion + [tokenizer.eos_token_id]
            if len(prompt) + len(completion) > arguments.max_length:
                dropped += 1
                continue
            examples.append((prompt, completion))
    if not examples:
        print("No example fits --max-length; nothing to train on.", file=sys.stderr)
        sys.exit(2)

    lora = LoraConfig(r=arguments.rank, lora_alpha=arguments.alpha, lora_dropout=arguments.dropout,
                      target_modules=arguments.target_modules.split(","), task_type="CAUSAL_LM", bias="none")
    model = get_peft_model(model, lora)
    trainable = sum(p.numel() for p in model.parameters() if p.requires_grad)
    init_sha256 = ""
    if arguments.init_adapter:
        init = Path(arguments.init_adapter)
        weights = init / "adapter_model.safetensors"
        if not weights.exists() or not (init / "adapter_config.json").exists():
            print(f"--init-adapter: {init} has no adapter_config.json and adapter_model.safetensors "
                  "(give an earlier run's <out>/adapter folder).", file=sys.stderr)
            sys.exit(4)
        saved = json.loads((init / "adapter_config.json").read_text())
        wanted = {"r": arguments.rank, "lora_alpha": arguments.alpha,
                  "target_modules": sorted(arguments.target_modules.split(","))}
        found_config = {"r": saved.get("r"), "lora_alpha": saved.get("lora_alpha"),
                        "target_modules": sorted(saved.get("target_modules") or [])}
        different = sorted(key for key in wanted if wanted[key] != found_config[key])
        if different:
            print(f"--init-adapter: {init} was trained with other {', '.join(different)} "
                  f"({found_config}); pass the same settings.", file=sys.stderr)
            sys.exit(4)
        from safetensors.torch import load_file

        init_sha256 = hashlib.sha256(weights.read_bytes()).hexdigest()
        set_peft_model_state_dict(model, load_file(str(weights)))
        emit("initialised", adapter=str(init), sha256=init_sha256)

    steps_per_epoch = math.ceil(len(examples) / arguments.batch_size)
    total_steps = max(1, math.ceil(steps_per_epoch * arguments.epochs))
    if arguments.max_steps > 0:
        total_steps = min(total_steps, arguments.max_steps)
    optimizer = torch.optim.AdamW([p for p in model.parameters() if p.requires_grad],
                                  lr=arguments.learning_rate, weight_decay=0.0)

    def learning_rate(step):
        if step < arguments.warmup_steps:
            return arguments.learning_rate * (step + 1) / arguments.warmup_steps
        progress = (step - arguments.warmup_steps) / max(1, total_steps - arguments.warmup_steps)
        return arguments.learning_rate * max(0.0, 1.0 - progress)

    # The batch order: shuffled per epoch with the seed; each batch groups examples of
    # similar length so padding stays small.
    def batches_for_epoch(epoch):
        order = list(range(len(examples)))
        random.Random(arguments.seed * 1000 + epoch).shuffle(order)
        chunk = arguments.batch_size * 8
        batches = []
        for start in range(0, len(order), chunk):
            window = sorted(order[start:start + chunk], key=lambda i: len(examples[i][0]) + len(examples[i][1]))
            batches.extend(window[i:i + arguments.batch_size] for i in range(0, len(window), arguments.batch_size))
        random.Random(arguments.seed * 7 + epoch).shuffle(batches)
        return batches

    checkpoint = out / "checkpoint"
    step = 0
    losses = []
    tokens_seen = 0
    # What a checkpoint must agree on to be resumed: the data and everything that shapes the run.
    run_key = {"data": arguments.data_sha256, "rank": arguments.rank, "alpha": arguments.alpha,
               "batchSize": arguments.batch_size, "learningRate": arguments.learning_rate,
               "epochs": arguments.epochs, "seed": arguments.seed, "targetModules": arguments.target_modules,
               "detachPrompt": arguments.detach_prompt, "initAdapter": init_sha256}
    if arguments.resume:
        # A run killed between writing checkpoint.tmp and renaming it leaves a complete .tmp.
        candidates = [checkpoint, out / "checkpoint.tmp"]
        found = next((folder for folder in candidates if (folder / "state.json").exists()), None)
        if found is None:
            emit("warning", message="--resume: no checkpoint in the output folder; starting from step 0")
        else:
            state = json.loads((found / "state.json").read_text())
            saved_key = state.get("run", {})
            different = sorted(key for key in run_key if key in saved_key and saved_key[key] != run_key[key])
            if different:
                print(f"Cannot resume: the checkpoint was made with other {', '.join(different)}; "
                      "use another --out folder or the same settings.", file=sys.stderr)
                sys.exit(4)
            from safetensors.torch import load_file

            set_peft_model_state_dict(model, load_file(str(found / "adapter_model.safetensors")))
            optimizer.load_state_dict(torch.load(found / "optimizer.pt", weights_only=True))
            step, losses, tokens_seen = state["step"], state["losses"], state["tokens"]
            # Dropout draws are not restored: a resumed run matches an uninterrupted one in
            # data order and schedule, not bit for bit.
            emit("resumed", step=step)

    emit("start", examples=len(examples), dropped=dropped, steps=total_steps, stepsPerEpoch=steps_per_epoch,
         trainableParameters=trainable, resumedAt=step)

    def save_checkpoint():
        temporary = out / "checkpoint.tmp"
        shutil.rmtree(temporary, ignore_errors=True)
        model.save_pretrained(str(temporary))
        torch.save(optimizer.state_dict(), temporary / "optimizer.pt")
        (temporary / "state.json").write_text(
            json.dumps({"step": step, "losses": losses, "tokens": tokens_seen, "run": run_key}))
        shutil.rmtree(checkpoint, ignore_errors=True)
        temporary.rename(checkpoint)
        emit("checkpoint", step=step)

    pad = tokenizer.pad_token_id if tokenizer.pad_token_id is not None else 0
    model.train()
    train_started = time.time()
    tokens_at_start = tokens_seen
    while step < total_steps:
        epoch = step // steps_per_epoch
        batch = batches_for_epoch(epoch)[step % steps_per_epoch]
        for group in optimizer.param_groups:
            group["lr"] = learning_rate(step)
        if arguments.detach_prompt:
            # One example at a time, no padding: the prompt (all but its last token) runs
            # without gradients and fills the KV cache; the answer runs with them.
            answer_tokens = sum(len(examples[i][1]) for i in batch)
            batch_loss = 0.0
            batch_tokens = 0
            for index in batch:
                prompt, completion = examples[index]
                with torch.no_grad():
                    # The decoder alone: the prompt's logits (a 262k vocabulary for Gemma 3)
                    # are never needed, and they cost as much as the rest of the model.
                    decoder = model.get_base_model().model
                    cache = decoder(input_ids=torch.tensor([prompt[:-1]]), use_cache=True).past_key_values
                ids = torch.tensor([prompt[-1:] + completion])
                target = torch.tensor([[-100] + completion])
                loss = model(input_ids=ids, labels=target, past_key_values=cache, use_cache=True).loss
                (loss * len(completion) / answer_tokens).backward()
                batch_loss += float(loss.detach()) * len(completion) / answer_tokens
                batch_tokens += len(prompt) + len(completion)
            loss_value = batch_loss
        else:
            length = max(len(examples[i][0]) + len(examples[i][1]) for i in batch)
            input_ids = torch.full((len(batch), length), pad, dtype=torch.long)
            labels = torch.full((len(batch), length), -100, dtype=torch.long)
            attention = torch.zeros((len(batch), length), dtype=torch.long)
            for row, index in enumerate(batch):
                prompt, completion = examples[index]
                ids = prompt + completion
                input_ids[row, : len(ids)] = torch.tensor(ids)
                labels[row, len(prompt): len(ids)] = torch.tensor(completion)
                attention[row, : len(ids)] = 1
            loss = model(input_ids=input_ids, attention_mask=attention, labels=labels).loss
            loss.backward()
            loss_value = float(loss.detach())
            batch_tokens = int(attention.sum())
        torch.nn.utils.clip_grad_norm_([p for p in model.parameters() if p.requires_grad], 1.0)
        optimizer.step()
        optimizer.zero_grad(set_to_none=True)
        step += 1
        tokens_seen += batch_tokens
        losses.append(round(loss_value, 4))
        elapsed = time.time() - train_started
        emit("step", step=step, steps=total_steps, epoch=round(step / steps_per_epoch, 3), loss=losses[-1],
             learningRate=learning_rate(step - 1), tokens=tokens_seen,
             tokensPerSecond=round((tokens_seen - tokens_at_start) / max(elapsed, 1e-6), 1))
        if step % arguments.checkpoint_every == 0 and step < total_steps:
            save_checkpoint()

    adapter_directory = out / "adapter"
    shutil.rmtree(adapter_directory, ignore_errors=True)
    model.save_pretrained(str(adapter_directory))
    save_checkpoint()
    emit("saved", adapterDirectory=str(adapter_directory))

    # convert_lora_to_gguf.py reads the base model's config.json; one saved from a
    # GGUF-loaded model lacks `architectures`, without which the script cannot pick the
    # architecture. It must not reach for a model hub either.
    base_directory = out / "base-config"
    base_directory.mkdir(exist_ok=True)
    config = model.get_base_model().config.to_dict()
    config["architectures"] = [type(model.get_base_model()).__name__]
    # Loaded from a GGUF, the config says `quantization_config: {quant_method: gguf}`; the
    # weights in memory are dequantised, and the converter refuses that method.
    config.pop("quantization_config", None)
    (base_directory / "config.json").write_text(json.dumps(config, indent=2, default=str))
    environment = {**os.environ, "HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1"}
    script = Path(arguments.llama_cpp) / "convert_lora_to_gguf.py"
    result = subprocess.run(
        [sys.executable, str(script), str(adapter_directory), "--base", str(base_directory),
         "--outtype", "f16", "--outfile", arguments.adapter_gguf],
        env=environment, capture_output=True, text=True)
    if result.returncode != 0:
        print(result.stdout[-4000:], file=sys.stderr)
        print(result.stderr[-4000:], file=sys.stderr)
        print("convert_lora_to_gguf.py failed", file=sys.stderr)
        sys.exit(3)
    emit("done", adapter=arguments.adapter_gguf, steps=step, losses=losses, tokens=tokens_seen,
         trainSeconds=round(time.time() - train_started, 1), trainableParameters=trainable,
         examples=len(examples), dropped=dropped)


if __name__ == "__main__":
    main()
