using Judge.Worker;
using Microsoft.Extensions.Hosting;

// The content root is the build output, not the working directory (see Judge.Api's Program.cs).
var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { Args = args, ContentRootPath = AppContext.BaseDirectory });
builder.AddJudgeWorker();
using var host = builder.Build();
await host.RunAsync();
