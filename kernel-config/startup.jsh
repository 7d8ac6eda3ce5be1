// Evaluated when the InfLVG kernel starts (and by `inflvg jshell`), before the first cell.
// The JDK imports that jshell's DEFAULT startup gives, so cells and plain jshell agree:
import java.io.*;
import java.math.*;
import java.net.*;
import java.nio.file.*;
import java.util.*;
import java.util.concurrent.*;
import java.util.function.*;
import java.util.regex.*;
import java.util.stream.*;

// Notebook helpers: display(x), updateDisplay(id, x), progress(label, total).
import org.inflvg.kernel.*;
import static org.inflvg.kernel.Notebook.*;

// The toolkit's public packages.
import org.inflvg.*;
import org.inflvg.world.*;
import org.inflvg.video.*;
import org.inflvg.model.*;
import org.inflvg.select.*;
import org.inflvg.policy.*;
import org.inflvg.grpo.*;
import org.inflvg.reward.*;
import org.inflvg.bench.*;
