using Judge.Worker;
using Microsoft.Extensions.Hosting;

var builder = Host.CreateApplicationBuilder(args);
builder.AddJudgeWorker();
using var host = builder.Build();
await host.RunAsync();
